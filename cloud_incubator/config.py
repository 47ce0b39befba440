"""Limits and timings of the /ws/v1 layer (environment prefix ``INCUBENCH_WS_``)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewayConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INCUBENCH_WS_", env_file=None, extra="ignore")

    max_frame_bytes: int = 16 * 1024      # larger client frames get frame.too_large (socket stays open)
    auth_timeout: float = 5.0             # seconds to send a valid auth frame, else close 4401
    heartbeat_interval: float = 20.0      # server ping frames
    heartbeat_timeout: float = 60.0       # no client frame for this long: close 4408
    session_check_interval: float = 60.0  # re-read the account (disabled?) this often; close 4401 if so
    send_queue: int = 512                 # frames queued per client; full: the client is dropped (4409)
    max_buffer_bytes: int = 4 * 1024 * 1024  # bytes waiting in a client's transport; beyond: dropped (4409)
    frames_per_second: float = 20.0       # per-connection token bucket
    frame_burst: int = 40
    flood_strikes: int = 30               # rate.limited errors within flood_window: close 4429
    flood_window: float = 10.0
    chat_max_length: int = 1000
    chat_rate: str = "10/10 second"       # per user per room (moderators exempt)
    qa_rate: str = "5/30 second"
    resume_max_events: int = 500          # further behind than this: a fresh snapshot instead
    reaction_interval: float = 1.0        # reactions are aggregated and published once per interval
    presence_interval: float = 2.0


def gateway_config(state: object) -> GatewayConfig:
    config: GatewayConfig = state.ws_config  # type: ignore[attr-defined]
    return config
