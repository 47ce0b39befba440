"""Live roadshow rooms on /ws/v1: actions, the per-process runtime (presence, reactions, countdowns)."""
