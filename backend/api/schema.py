"""``build_schema()``: the whole GraphQL API, composed from per-domain Query/Mutation mixins."""

from __future__ import annotations

from pathlib import Path

import strawberry
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from backend.api.cost import CostLimit
from backend.api.errors import AppErrors, WithoutSuggestions
from backend.api.resolvers.bookings import BookingMutations, BookingQueries
from backend.api.resolvers.incubators import IncubatorMutations, IncubatorQueries
from backend.api.resolvers.matchmaking import MatchmakingMutations, MatchmakingQueries
from backend.api.resolvers.rankings import RankingMutations, RankingQueries, RankingSubscriptions
from backend.api.resolvers.roadshows import RoadshowMutations, RoadshowQueries
from backend.api.resolvers.submissions import SubmissionMutations, SubmissionQueries
from backend.api.resolvers.users import UserMutations, UserQueries
from backend.api.types.rankings import RANKING_ROWS, RankingRows
from backend.errors import AppError
from graphql import GraphQLError

MAX_DEPTH = 12
MAX_TOKENS = 6000
MAX_ALIASES = 40

SDL_PATH = Path(__file__).resolve().parents[2] / "graphql" / "schema.graphql"

QUERY_MIXINS: tuple[type, ...] = (UserQueries, IncubatorQueries, SubmissionQueries, RankingQueries, BookingQueries, RoadshowQueries, MatchmakingQueries)
MUTATION_MIXINS: tuple[type, ...] = (UserMutations, IncubatorMutations, SubmissionMutations, RankingMutations, BookingMutations, RoadshowMutations, MatchmakingMutations)
SUBSCRIPTION_MIXINS: tuple[type, ...] = (RankingSubscriptions,)


class Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Log only what is unexpected; user-facing errors (AppError) are normal traffic."""
        unexpected = [e for e in errors if not isinstance(e.original_error, AppError)
                      and e.extensions and e.extensions.get("code") == "INTERNAL"]
        if unexpected:
            super().process_errors(unexpected, execution_context)


LIMIT_RULES = [*QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
               *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules]


CLOSED_RULES = [*LIMIT_RULES, NoSchemaIntrospectionCustomRule]


def build_schema(*, introspection: bool = True) -> strawberry.Schema:
    """``introspection=False``: no introspection queries and no field suggestions in errors."""
    query = merge_types("Query", QUERY_MIXINS)
    mutation = merge_types("Mutation", MUTATION_MIXINS)
    subscription = merge_types("Subscription", SUBSCRIPTION_MIXINS) if SUBSCRIPTION_MIXINS else None
    return Schema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        config=StrawberryConfig(scalar_map={RankingRows: RANKING_ROWS}),
        extensions=[
            # Classes or factories, never instances: instances would share state between requests.
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            CostLimit,  # before the validation rules (and their cache) run
            # The depth and alias rules are built once: a limiter made per request would make new rule
            # classes each time, and ValidationCache (keyed by the rules) would never hit.
            lambda: AddValidationRules(LIMIT_RULES if introspection else CLOSED_RULES),
            lambda: ParserCache(maxsize=512),
            lambda: ValidationCache(maxsize=512),
            AppErrors if introspection else WithoutSuggestions,
        ],
    )


def export_sdl() -> str:
    return build_schema().as_str() + "\n"
