"""The MongoDB connection (PyMongo's async API), durable collections and index declarations."""

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


def indexes(collection: str, *models: IndexModel) -> CollectionIndexes:
    """A repository's declaration of the indexes its queries on ``collection`` need."""
    return CollectionIndexes(collection, models)


def make_client(uri: str) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=5000, appname="incubench")


def durable(db: AsyncDatabase[Document], name: str) -> AsyncCollection[Document]:
    return db.get_collection(name, write_concern=DURABLE)


async def ensure_indexes(db: AsyncDatabase[Document], declared: Iterable[CollectionIndexes]) -> None:
    """Create every declared index (the composition root passes each repository's ``INDEXES``)."""
    count = 0
    for entry in declared:
        if entry.indexes:
            await db[entry.collection].create_indexes(list(entry.indexes))
            count += 1
    log.info("indexes ensured for %d declarations", count)
