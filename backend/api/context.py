"""Per-request GraphQL context: the caller, DataLoaders built for this request, the services."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from backend.errors import Unauthenticated
from backend.incubators.models import Incubator
from backend.roadshows.service import roadshow_service
from backend.state import AppState
from backend.users.models import User
from cloud_incubator.bookings.service import bookings


class DataLoaders:
    """Batch loaders: one round trip per kind of object per request, whatever the list size."""

    def __init__(self, state: AppState) -> None:
        self.user = DataLoader[str, User | None](load_fn=state.users.by_ids)
        self.incubator = DataLoader[str, Incubator | None](load_fn=state.incubator_service.directory.by_ids)
        self.ip_workstation = DataLoader(load_fn=bookings(state).repo.workstations_by_ids)
        self.startup = DataLoader(load_fn=state.startups.by_ids)
        self.roadshow_decks = DataLoader(load_fn=roadshow_service(state).repo.decks_of_many)


class Context(BaseContext):
    def __init__(self, state: AppState, user: User | None, auth_error: Unauthenticated | None = None,
                 client_address: str = "unknown", request_id: str = "-") -> None:
        super().__init__()
        self.state = state
        self._user = user
        self.auth_error = auth_error
        self.client_address = client_address
        self.request_id = request_id
        self.token: str | None = None  # a subscription's token, re-checked while it runs
        self.extras: dict[str, Any] = {}

    @cached_property
    def loaders(self) -> DataLoaders:
        return DataLoaders(self.state)

    @property
    def user(self) -> User | None:
        return self._user

    def require_user(self) -> User:
        if self._user is None:
            raise self.auth_error or Unauthenticated()
        return self._user
