"""The MongoDB connection (PyMongo's async API) and the index registry."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from pymongo import AsyncMongoClient, IndexModel, WriteConcern
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

log = logging.getLogger(__name__)

# Writes that must not be lost: acknowledged by a majority and journaled.
DURABLE = WriteConcern(w="majority", j=True)

Document = dict[str, object]


@dataclass(frozen=True)
class CollectionIndexes:
    collection: str
    indexes: tuple[IndexModel, ...]


_REGISTRY: dict[str, list[IndexModel]] = {}


def register_indexes(collection: str, *indexes: IndexModel) -> None:
    """Repositories declare here every index their queries need; start-up creates them all."""
    _REGISTRY.setdefault(collection, []).extend(indexes)


def registered_indexes() -> Iterable[CollectionIndexes]:
    for name, indexes in sorted(_REGISTRY.items()):
        yield CollectionIndexes(name, tuple(indexes))


def make_client(uri: str) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=3000, appname="incubench")


def durable(db: AsyncDatabase[Document], name: str) -> AsyncCollection[Document]:
    return db.get_collection(name, write_concern=DURABLE)


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    _import_repositories()
    for entry in registered_indexes():
        if entry.indexes:
            await db[entry.collection].create_indexes(list(entry.indexes))
    log.info("indexes ensured for %d collections", len(_REGISTRY))


def _import_repositories() -> None:
    """Import every repository module so its indexes are registered."""
    import importlib
    import pkgutil

    import backend

    for module in pkgutil.walk_packages(backend.__path__, "backend."):
        if module.name.endswith(".repository"):
            importlib.import_module(module.name)
    try:
        import cloud_incubator
    except ImportError:
        return
    for module in pkgutil.walk_packages(cloud_incubator.__path__, "cloud_incubator."):
        if module.name.endswith(("repository", "store")):
            importlib.import_module(module.name)
