"""The tree a condition is parsed into: frozen dataclasses, read by ``evaluate`` and by the definition checks.

``condition_parser`` builds it from the text of a ``show_if`` or ``constraint``; ``conditions`` says what
it means for the answers so far.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, TypeAlias

Scalar: TypeAlias = str | int | float
CompareOp: TypeAlias = Literal["=", "!=", "<", "<=", ">", ">="]


@dataclass(frozen=True, slots=True)
class Condition:
    """Something true or false: the root of every ``show_if`` and ``constraint``."""


@dataclass(frozen=True, slots=True)
class Operand:
    """Something with a value, compared inside a condition."""


@dataclass(frozen=True, slots=True)
class Constant(Operand):
    """A number or a text written in the condition."""

    value: Scalar


@dataclass(frozen=True, slots=True)
class AnswerOf(Operand):
    """The answer to question ``question_id``."""

    question_id: str


@dataclass(frozen=True, slots=True)
class CurrentAnswer(Operand):
    """``.``: the answer being checked by a constraint."""


Target: TypeAlias = AnswerOf | CurrentAnswer


@dataclass(frozen=True, slots=True)
class Count(Operand):
    """``count(q)``: how many codes were chosen (0 when unanswered)."""

    target: Target


@dataclass(frozen=True, slots=True)
class Length(Operand):
    """``length(q)``: characters in the answer."""

    target: Target


@dataclass(frozen=True, slots=True)
class Comparison(Condition):
    """``left op right`` with ``=``, ``!=``, ``<``, ``<=``, ``>`` or ``>=``."""

    left: Operand
    op: CompareOp
    right: Operand


@dataclass(frozen=True, slots=True)
class Membership(Condition):
    """``operand in [...]``, or ``not in`` when ``negated``."""

    operand: Operand
    values: tuple[Scalar, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Answered(Condition):
    """``answered(q)``: the question has an answer."""

    target: Target


@dataclass(frozen=True, slots=True)
class Selected(Condition):
    """``selected(q, code)``: the answer is or includes ``code``."""

    target: Target
    code: str


@dataclass(frozen=True, slots=True)
class And(Condition):
    """All parts hold."""

    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Or(Condition):
    """At least one part holds."""

    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Not(Condition):
    """The part does not hold."""

    part: Condition


Node: TypeAlias = Condition | Operand


def nodes(node: Node) -> Iterator[Node]:
    """Every node of a condition tree, the root first, for checks that look inside conditions."""
    yield node
    children: tuple[Node, ...] = ()
    if isinstance(node, And | Or):
        children = node.parts
    elif isinstance(node, Not):
        children = (node.part,)
    elif isinstance(node, Comparison):
        children = (node.left, node.right)
    elif isinstance(node, Membership):
        children = (node.operand,)
    elif isinstance(node, Answered | Selected | Count | Length):
        children = (node.target,)
    for child in children:
        yield from nodes(child)


def references(cond: Condition) -> frozenset[str]:
    """The ids of the questions a condition reads, to check they exist and come before it."""
    return frozenset(n.question_id for n in nodes(cond) if isinstance(n, AnswerOf))


def uses_current(cond: Condition) -> bool:
    """Whether a condition reads ``.``, which only has a meaning in a constraint."""
    return any(isinstance(n, CurrentAnswer) for n in nodes(cond))
