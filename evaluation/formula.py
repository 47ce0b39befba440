"""A small, safe expression language for indicator formulas (no ``eval``).

Grammar::

    expr   := term (('+' | '-') term)*
    term   := unary (('*' | '/') unary)*
    unary  := '-' unary | atom
    atom   := NUMBER | FIELD | 'ttm' '(' FIELD ')' | '(' expr ')'

``ttm(field)`` is the trailing-four-quarter sum of a raw field (this quarter and the three before).
Formulas are evaluated on numpy arrays (one value per incubator); a missing input gives NaN, and a
division whose denominator is 0 is reported back to the caller (which raises ``ZERO_DENOMINATOR``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["Formula", "FormulaSyntaxError", "parse_formula"]

FloatArray = NDArray[np.float64]
_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)|([A-Za-z_][A-Za-z0-9_]*)|(.))")


class FormulaSyntaxError(ValueError):
    """A formula that does not parse; ``position`` is the character offset."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} at position {position}")
        self.position = position


@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class FieldRef:
    name: str


@dataclass(frozen=True)
class Ttm:
    name: str


@dataclass(frozen=True)
class Neg:
    operand: Node


@dataclass(frozen=True)
class BinOp:
    op: str
    left: Node
    right: Node


Node = Num | FieldRef | Ttm | Neg | BinOp


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:  # pragma: no cover - the regex always matches one char
            break
        if m.group(1) is not None:
            tokens.append(("num", m.group(1), m.start(1)))
        elif m.group(2) is not None:
            tokens.append(("name", m.group(2), m.start(2)))
        elif m.group(3) is not None:
            ch = m.group(3)
            if ch not in "+-*/()":
                raise FormulaSyntaxError(f"unexpected character {ch!r}", m.start(3))
            tokens.append(("op", ch, m.start(3)))
        pos = m.end()
    tokens.append(("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.i = 0

    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.i]

    def take(self) -> tuple[str, str, int]:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, value: str) -> None:
        kind, val, pos = self.take()
        if val != value or kind != "op":
            raise FormulaSyntaxError(f"expected {value!r}, found {val or 'end of formula'!r}", pos)

    def expr(self) -> Node:
        node = self.term()
        while self.peek()[0] == "op" and self.peek()[1] in "+-":
            op = self.take()[1]
            node = BinOp(op, node, self.term())
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.peek()[0] == "op" and self.peek()[1] in "*/":
            op = self.take()[1]
            node = BinOp(op, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.peek()[0] == "op" and self.peek()[1] == "-":
            self.take()
            return Neg(self.unary())
        return self.atom()

    def atom(self) -> Node:
        kind, val, pos = self.take()
        if kind == "num":
            return Num(float(val))
        if kind == "name":
            if val == "ttm":
                self.expect("(")
                k2, name, p2 = self.take()
                if k2 != "name" or name == "ttm":
                    raise FormulaSyntaxError("ttm() takes one field id", p2)
                self.expect(")")
                return Ttm(name)
            return FieldRef(val)
        if kind == "op" and val == "(":
            node = self.expr()
            self.expect(")")
            return node
        raise FormulaSyntaxError(f"unexpected {val or 'end of formula'!r}", pos)


def _collect(node: Node, fields: list[str], ttm: list[str]) -> None:
    if isinstance(node, FieldRef):
        if node.name not in fields:
            fields.append(node.name)
    elif isinstance(node, Ttm):
        if node.name not in fields:
            fields.append(node.name)
        if node.name not in ttm:
            ttm.append(node.name)
    elif isinstance(node, Neg):
        _collect(node.operand, fields, ttm)
    elif isinstance(node, BinOp):
        _collect(node.left, fields, ttm)
        _collect(node.right, fields, ttm)


def _render(node: Node) -> str:
    if isinstance(node, Num):
        return f"{node.value:g}"
    if isinstance(node, FieldRef):
        return node.name
    if isinstance(node, Ttm):
        return f"ttm({node.name})"
    if isinstance(node, Neg):
        return f"-{_render(node.operand)}"
    return f"({_render(node.left)} {node.op} {_render(node.right)})"


# lookup(field, lag) -> values of that raw field `lag` quarters back (NaN where not reported)
Lookup = Callable[[str, int], FloatArray]


@dataclass(frozen=True)
class Formula:
    """A parsed formula. ``fields`` are all raw fields used; ``ttm_fields`` those inside ``ttm()``."""

    text: str
    root: Node
    fields: tuple[str, ...]
    ttm_fields: tuple[str, ...]

    @property
    def max_lag(self) -> int:
        """How many previous quarters the formula needs (3 if it uses ``ttm``)."""
        return 3 if self.ttm_fields else 0

    def evaluate(self, lookup: Lookup, n: int) -> tuple[FloatArray, NDArray[np.bool_], str | None]:
        """Evaluate on arrays of length ``n``.

        Returns ``(values, zero_denominator_rows, first_denominator_text)``. Rows where a denominator
        is 0 (with its inputs reported) get NaN and are flagged; NaN inputs propagate as NaN.
        """
        bad = np.zeros(n, dtype=bool)
        den_text: list[str] = []

        def ev(node: Node) -> FloatArray:
            if isinstance(node, Num):
                return np.full(n, node.value)
            if isinstance(node, FieldRef):
                return lookup(node.name, 0)
            if isinstance(node, Ttm):
                return lookup(node.name, 0) + lookup(node.name, 1) + lookup(node.name, 2) + lookup(node.name, 3)
            if isinstance(node, Neg):
                return -ev(node.operand)
            a = ev(node.left)
            b = ev(node.right)
            if node.op == "+":
                return a + b
            if node.op == "-":
                return a - b
            if node.op == "*":
                return a * b
            zero = (b == 0) & ~np.isnan(a)
            if zero.any():
                bad[zero] = True
                if not den_text:
                    den_text.append(_render(node.right).strip("()"))
            with np.errstate(divide="ignore", invalid="ignore"):
                out = a / np.where(b == 0, np.nan, b)
            return np.asarray(out, dtype=np.float64)

        values = ev(self.root)
        return values, bad, (den_text[0] if den_text else None)


def parse_formula(text: str) -> Formula:
    """Parse ``text``; raises :class:`FormulaSyntaxError` on bad syntax."""
    parser = _Parser(text)
    root = parser.expr()
    kind, val, pos = parser.peek()
    if kind != "end":
        raise FormulaSyntaxError(f"unexpected {val!r}", pos)
    fields: list[str] = []
    ttm: list[str] = []
    _collect(root, fields, ttm)
    return Formula(text=text, root=root, fields=tuple(fields), ttm_fields=tuple(ttm))
