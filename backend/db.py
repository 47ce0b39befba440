"""The MongoDB connection (PyMongo's async API) and the index registry."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pymongo import AsyncMongoClient, IndexModel, WriteConcern
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

log = logging.getLogger(__name__)

# Writes that must not be lost: acknowledged by a majority and journaled.
DURABLE = WriteConcern(w="majority", j=True)

Document = dict[str, object]

# At most this many values in one ``$in``: the embedded server checks every candidate against the whole
# list, so one large ``$in`` costs the square of its length; batches of this size keep it linear.
MAX_IN = 50
T = TypeVar("T")


def in_batches(values: Iterable[T], size: int = MAX_IN) -> Iterator[list[T]]:
    """``values`` (duplicates dropped, order kept) in lists of at most ``size``."""
    unique = list(dict.fromkeys(values))
    for start in range(0, len(unique), size):
        yield unique[start:start + size]


async def find_in(collection: AsyncCollection[Document], field: str, values: Sequence[Any],
                  other: Mapping[str, Any] | None = None, projection: Mapping[str, Any] | None = None,
                  sort: Sequence[tuple[str, int]] | None = None) -> AsyncIterator[dict[str, Any]]:
    """Documents whose ``field`` is one of ``values`` (and that match ``other``), one query per batch of
    ``MAX_IN`` values; ``sort`` orders within each batch only."""
    for batch in in_batches(values):
        cursor = collection.find({**(other or {}), field: {"$in": batch}}, projection)
        if sort:
            cursor = cursor.sort(list(sort))
        async for document in cursor:
            yield document


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
