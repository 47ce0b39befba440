"""The GraphQL cost limit, applied after parsing and before validation.

Validation of a document is roughly quadratic in the fields that share a response name (graphql-core's
overlapping-fields rule), so a small document of repeated fields can cost seconds. Before any rule runs,
the document's cost is estimated: one per field, fragments counted where they are spread, and the
expensive root fields at their weight (a work budget: ``explainChange`` and ``whatIf`` re-evaluate whole
quarters). A document over ``MAX_COST``, or repeating one response name more than ``MAX_SAME_NAME`` times in
one selection set, is refused with ``QUERY_TOO_COMPLEX``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from starlette.requests import Request
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from backend.errors import BadRequest, QueryTooComplex
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

MAX_COST = 1000
MAX_SAME_NAME = 8
# Fields that evaluate quarters or build figures: each counts as this many fields.
FIELD_WEIGHTS = {"explainChange": 250, "whatIf": 250, "compare": 150, "chart": 100, "incubatorScorecard": 50}


class _TooComplex(Exception):
    pass


def document_cost(document: DocumentNode, max_cost: int = MAX_COST, max_same_name: int = MAX_SAME_NAME) -> int:
    """The estimated cost of every operation and fragment in ``document``; raises ``QueryTooComplex``."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    memo: dict[str, int] = {}
    visiting: set[str] = set()

    def fragment_cost(name: str) -> int:
        if name in memo:
            return memo[name]
        definition = fragments.get(name)
        if definition is None or name in visiting:
            return 0  # unknown or cyclic: validation reports it (the cycle is counted once here)
        visiting.add(name)
        memo[name] = cost(definition.selection_set)
        visiting.discard(name)
        return memo[name]

    def cost(selection_set: SelectionSetNode | None) -> int:
        if selection_set is None:
            return 0
        total = 0
        names: Counter[str] = Counter()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                names[(selection.alias or selection.name).value] += 1
                total += FIELD_WEIGHTS.get(selection.name.value, 1) + cost(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                total += cost(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                total += fragment_cost(selection.name.value)
            if total > max_cost:
                raise _TooComplex
        if names and max(names.values()) > max_same_name:
            raise _TooComplex
        return total

    try:
        total = 0
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                total += cost(definition.selection_set)
            elif isinstance(definition, FragmentDefinitionNode):
                total += 1 + (0 if definition.name.value in memo else fragment_cost(definition.name.value))
            if total > max_cost:
                raise _TooComplex
    except _TooComplex:
        raise QueryTooComplex(
            f"The query is too complex (at most {max_cost} fields, expensive fields counting more, and no "
            f"field repeated more than {max_same_name} times in one selection): split it.",
            f"查询过于复杂（最多 {max_cost} 个字段，耗时字段按更高权重计算，同一选择集中同名字段不超过 "
            f"{max_same_name} 个）：请拆分查询。", limit=max_cost) from None
    return total


class CostLimit(SchemaExtension):
    """Refuses an over-budget document before validation (must come before ``ValidationCache``), and a
    subscription sent over plain HTTP (subscriptions run on the ``graphql-transport-ws`` socket)."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            try:
                document_cost(document)
            except QueryTooComplex as error:
                raise GraphQLError(error.message_en, original_error=error, extensions=error.extensions) from error
            if context.operation_type is OperationType.SUBSCRIPTION \
                    and isinstance(getattr(context.context, "request", None), Request):
                refused = BadRequest("Subscriptions run over the graphql-transport-ws socket, not HTTP POST.",
                                     "订阅须通过 graphql-transport-ws 套接字进行，不能用 HTTP POST。",
                                     reason="SUBSCRIPTION_OVER_HTTP")
                raise GraphQLError(refused.message_en, original_error=refused, extensions=refused.extensions)
        yield
