"""The safe condition language of ``show_if`` and ``constraint`` (docs/questionnaires.md, "Conditions").

A condition is parsed once, when a definition is loaded, into a small tree of frozen dataclasses and
then evaluated against the answers so far; nothing is ever passed to ``eval``. The tree lives in
``condition_tree``, the parser in ``condition_parser``; this module says what a condition means.

Values meet as follows:

* A comparison, ``in`` or ``not in`` with an unanswered question (or ``length()`` of one) is false,
  whatever the operator; ``count()`` of an unanswered question is 0.
* A number and a string are compared as numbers when the string reads as one (``'1' = 1`` and
  ``'2.5' < 3`` are true); a string that doesn't read as a number equals no number and is in no order
  with one. Two strings are compared as numbers when both read as numbers (so ``'10' > '9'``), otherwise
  as text.
* A multiple-choice answer (several codes) equals a value when that value is one of its codes
  (``A3 = '1'`` is ``selected(A3, '1')``), differs from it when it isn't one of them, is ``in`` a list
  when one of its codes is, ``not in`` it when none is, and has no order.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeAlias

from questionnaires.condition_parser import ConditionSyntaxError, parse_condition
from questionnaires.condition_tree import (
    And,
    Answered,
    AnswerOf,
    CompareOp,
    Comparison,
    Condition,
    Constant,
    Count,
    CurrentAnswer,
    Length,
    Membership,
    Not,
    Operand,
    Or,
    Scalar,
    Selected,
    Target,
    references,
)
from questionnaires.model import AnswerValue

__all__ = ["ConditionSyntaxError", "evaluate", "parse_condition", "references"]


class _Missing:
    """An unanswered question: every comparison with it is false."""


_MISSING = _Missing()
_Value: TypeAlias = AnswerValue | _Missing
_ORDERINGS: Final[dict[str, Callable[[Any, Any], Any]]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_DECIMAL = re.compile(r"\s*[-+]?(?:\d+(?:\.\d*)?|\.\d+)\s*")


def _as_number(value: Scalar) -> float | None:
    if isinstance(value, int | float):
        return float(value)
    if _DECIMAL.fullmatch(value):
        number = float(value)
        return number if math.isfinite(number) else None
    return None


def _equal(a: Scalar, b: Scalar) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    left, right = _as_number(a), _as_number(b)
    return left is not None and left == right


def _ordered(a: Scalar, op: CompareOp, b: Scalar) -> bool:
    left, right = _as_number(a), _as_number(b)
    if left is not None and right is not None:
        return bool(_ORDERINGS[op](left, right))
    if isinstance(a, str) and isinstance(b, str):
        return bool(_ORDERINGS[op](a, b))
    return False


def _compare(left: _Value, op: CompareOp, right: _Value) -> bool:
    if isinstance(left, _Missing) or isinstance(right, _Missing):
        return False
    if isinstance(left, tuple) or isinstance(right, tuple):
        return _compare_codes(left, op, right)
    if op == "=":
        return _equal(left, right)
    if op == "!=":
        return not _equal(left, right)
    return _ordered(left, op, right)


def _compare_codes(left: AnswerValue, op: CompareOp, right: AnswerValue) -> bool:
    if op not in ("=", "!="):
        return False
    if isinstance(left, tuple) and isinstance(right, tuple):
        same = set(left) == set(right)
    elif isinstance(left, tuple) and not isinstance(right, tuple):
        same = any(_equal(code, right) for code in left)
    elif isinstance(right, tuple) and not isinstance(left, tuple):
        same = any(_equal(code, left) for code in right)
    else:
        return False
    return same if op == "=" else not same


def _value(operand: Operand, answers: Mapping[str, AnswerValue], current: AnswerValue | None) -> _Value:
    if isinstance(operand, Constant):
        return operand.value
    if isinstance(operand, AnswerOf | CurrentAnswer):
        return _target(operand, answers, current)
    if isinstance(operand, Count):
        answer = _target(operand.target, answers, current)
        if isinstance(answer, _Missing):
            return 0
        return len(answer) if isinstance(answer, tuple) else 1
    if isinstance(operand, Length):
        answer = _target(operand.target, answers, current)
        if isinstance(answer, _Missing):
            return _MISSING
        return len(answer) if isinstance(answer, tuple) else len(str(answer))
    raise TypeError(f"not an operand: {operand!r}")


def _target(target: Target, answers: Mapping[str, AnswerValue], current: AnswerValue | None) -> _Value:
    answer = current if isinstance(target, CurrentAnswer) else answers.get(target.question_id)
    if answer is None or answer == ():
        return _MISSING
    return answer


def evaluate(cond: Condition, answers: Mapping[str, AnswerValue], current: AnswerValue | None = None) -> bool:
    """Whether a condition holds for the answers so far (and ``current`` as ``.``)."""
    if isinstance(cond, And):
        return all(evaluate(part, answers, current) for part in cond.parts)
    if isinstance(cond, Or):
        return any(evaluate(part, answers, current) for part in cond.parts)
    if isinstance(cond, Not):
        return not evaluate(cond.part, answers, current)
    if isinstance(cond, Comparison):
        return _compare(_value(cond.left, answers, current), cond.op, _value(cond.right, answers, current))
    if isinstance(cond, Membership):
        value = _value(cond.operand, answers, current)
        if isinstance(value, _Missing):
            return False
        codes = value if isinstance(value, tuple) else (value,)
        found = any(_equal(code, item) for code in codes for item in cond.values)
        return not found if cond.negated else found
    if isinstance(cond, Answered):
        return not isinstance(_target(cond.target, answers, current), _Missing)
    if isinstance(cond, Selected):
        answer = _target(cond.target, answers, current)
        if isinstance(answer, _Missing):
            return False
        codes = answer if isinstance(answer, tuple) else (answer,)
        return any(_equal(code, cond.code) for code in codes)
    raise TypeError(f"not a condition: {cond!r}")
