"""Errors raised by the evaluation engine.

Every error is an :class:`EvaluationError` with a machine-readable ``code``, the ``incubator_id`` and
``field`` it concerns (``None`` when not applicable) and a human message. Nothing is silently coerced:
bad input raises.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "EvaluationError",
    "InputError",
    "MethodError",
    "SchemeError",
    "SchemeIssue",
]


class EvaluationError(Exception):
    """Base class of every engine error.

    Attributes:
        code: machine-readable code, e.g. ``NEGATIVE_VALUE``, ``ZERO_DENOMINATOR``, ``UNKNOWN_FIELD``,
            ``UNKNOWN_INDICATOR``, ``SCHEME_INVALID``, ``WEIGHTS_DO_NOT_SUM``.
        incubator_id: the incubator concerned, if any.
        field: the raw field, indicator or scheme key concerned, if any.
        message: a human-readable message.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        incubator_id: str | None = None,
        field: str | None = None,
    ) -> None:
        self.code = code
        self.message = message
        self.incubator_id = incubator_id
        self.field = field
        where = []
        if incubator_id is not None:
            where.append(f"incubator={incubator_id}")
        if field is not None:
            where.append(f"field={field}")
        suffix = f" ({', '.join(where)})" if where else ""
        super().__init__(f"{code}: {message}{suffix}")


class InputError(EvaluationError):
    """Bad metric data: shapes, negative counts, zero denominators, unknown fields, constraint breaches."""


class MethodError(EvaluationError):
    """Bad method choice or parameter (unknown normalisation, alpha outside [0, 1], ...)."""


@dataclass(frozen=True)
class SchemeIssue:
    """One problem found in a scheme file: where (line, dotted key path) and what."""

    code: str
    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        at = f"line {self.line}: " if self.line is not None else ""
        return f"{at}{self.field}: {self.message} [{self.code}]"


class SchemeError(EvaluationError):
    """A scheme file (or scheme object) with errors. ``issues`` lists *all* problems found."""

    def __init__(self, issues: list[SchemeIssue]) -> None:
        self.issues = tuple(issues)
        codes = {i.code for i in issues}
        code = "WEIGHTS_DO_NOT_SUM" if codes == {"WEIGHTS_DO_NOT_SUM"} else "SCHEME_INVALID"
        first = issues[0] if issues else SchemeIssue("SCHEME_INVALID", "", "invalid scheme")
        message = f"{len(issues)} scheme error(s):\n" + "\n".join(f"  - {i}" for i in issues)
        super().__init__(code, message, field=first.field)
