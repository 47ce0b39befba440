"""Roadshows (路演): scheduling, slides, the live room's stored state, transcript and analytics."""
