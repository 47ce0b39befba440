"""Supply–demand matchmaking (供给与需求的智能化匹配): scoring, recommendations, sessions, negotiation.

Signed cooperations feed the evaluation's investment and supply-chain indicators through
``service.signed_cooperation_counts`` (a platform-inputs provider).
"""
