"""Supply–demand matchmaking (供给与需求的智能化匹配): scoring, recommendations, sessions, negotiation."""
