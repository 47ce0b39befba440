from __future__ import annotations

import strawberry


@strawberry.input(description="One raw field of the scheme and its value in the field's unit (null = not reported). "
                              "`field` is the raw field id in snake_case or camelCase, e.g. financedTenants.")
class MetricValueInput:
    field: str
    value: float | None = None


@strawberry.input(description="A draft (final: false) or the final submission (final: true) of a quarter's metrics. "
                              "An amendment names the revision it edits in baseRevision (0 or omitted for the first).")
class SubmitQuarterlyMetricsInput:
    incubator_id: strawberry.ID
    quarter: str = strawberry.field(description='Like "2025Q3"; not a future quarter, not before founding.')
    metrics: list[MetricValueInput]
    final: bool = True
    base_revision: int | None = None
    idempotency_key: str | None = strawberry.field(
        default=None, description="Send the same key when retrying: the submission is stored once.")
