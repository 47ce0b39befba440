"""The core layer: settings, database, errors, park time, the event bus, sessions and the policy base."""
