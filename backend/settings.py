"""Configuration from the environment (prefix ``INCUBENCH_``)."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, IPvAnyNetwork
from pydantic_settings import BaseSettings, SettingsConfigDict

# Where frontend_static/ and graphql/ live: the checkout, or INCUBENCH_HOME in an image.
PROJECT_ROOT = Path(os.environ.get("INCUBENCH_HOME") or Path(__file__).resolve().parent.parent)


class ConfigurationError(RuntimeError):
    """The configuration cannot be used; the message says what to set."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INCUBENCH_", env_file=None, extra="ignore")

    env: Literal["development", "production", "test"] = "development"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    mongodb_uri: str | None = None
    database_name: str = "incubench"
    jwt_secret: str | None = None
    token_lifetime_minutes: int = Field(default=12 * 60, ge=1)
    broadcast: Literal["memory", "mongo"] = "memory"  # /ws/v1 fan-out: one process, or change streams
    cors_origins: list[str] = Field(default_factory=lambda: ["http://127.0.0.1:8000", "http://localhost:8000"])
    log_level: str = "INFO"
    var_dir: Path = PROJECT_ROOT / "var"
    # Login throttling: attempts per window, per account and per client address.
    login_attempts_per_account: int = 5
    login_attempts_per_address: int = 20
    login_window_seconds: int = 300
    login_max_delay_seconds: float = 10.0  # the longest wait before a password is checked (after many failures)
    # Reverse proxies (IPs or networks) whose X-Forwarded-For names the client; none: the peer is the client.
    trusted_proxies: list[IPvAnyNetwork] = Field(default_factory=list)
    # Host names served (HTTP and websockets; anything else is refused: DNS rebinding). "*" serves any.
    allowed_hosts: list[str] = Field(default_factory=lambda: ["127.0.0.1", "localhost", "::1"])
    # API requests per window, shared by every app process: per user (valid token) or per address (none).
    requests_per_user: int = Field(default=1200, ge=1)
    requests_per_address: int = Field(default=300, ge=1)
    request_window_seconds: int = Field(default=60, ge=1)
    # GraphiQL, introspection and field suggestions: on in development, off in production unless set.
    graphiql: bool | None = None
    introspection: bool | None = None

    def served_hosts(self) -> list[str]:
        """Tests and benchmarks (``env=test``) talk to in-process apps under made-up host names: any host,
        unless the list is set explicitly."""
        if self.env == "test" and "allowed_hosts" not in self.model_fields_set:
            return ["*"]
        return self.allowed_hosts

    def developer_tools(self) -> tuple[bool, bool]:
        """(GraphiQL, introspection and suggestions): explicit settings, else on outside production."""
        default = self.env != "production"
        return (default if self.graphiql is None else self.graphiql,
                default if self.introspection is None else self.introspection)

    def check_production(self) -> None:
        """Refuse to start in production without the settings that must be explicit there."""
        if self.env != "production":
            return
        missing = [name for name, value in (
            ("INCUBENCH_JWT_SECRET", self.jwt_secret),
            ("INCUBENCH_MONGODB_URI", self.mongodb_uri),
        ) if not value]
        if missing:
            raise ConfigurationError(
                "INCUBENCH_ENV=production refuses to start without " + " and ".join(missing)
                + ": set them (a real MongoDB URI and a long random secret)."
            )
        if self.jwt_secret is not None and len(self.jwt_secret) < 32:
            raise ConfigurationError("INCUBENCH_JWT_SECRET must be at least 32 characters in production.")

    def resolved_jwt_secret(self) -> str:
        """The configured secret, or one generated once and kept under ``var/``."""
        if self.jwt_secret:
            return self.jwt_secret
        self.check_production()
        path = self.var_dir / "jwt_secret"
        kept = path.read_text().strip() if path.exists() else ""
        if kept:  # read once (not on every token check); an empty file is no secret
            self.jwt_secret = kept
            return kept
        path.parent.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(48)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # never readable by others
        os.fchmod(descriptor, 0o600)  # also when the (empty) file was already there
        with os.fdopen(descriptor, "w") as file:
            file.write(secret)
        self.jwt_secret = secret
        return secret


@lru_cache
def get_settings() -> Settings:
    return Settings()
