"""Cloud incubation (云孵化): the /ws/v1 socket layer, roadshow rooms, matchmaking, bookings."""
