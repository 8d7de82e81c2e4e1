"""XLSForm expressions (an XPath subset) translated into our condition language.

XLSForm ``relevant`` and ``constraint`` columns hold XPath 1.0 with ``${name}`` references.
Only the part that means the same in both languages is translated: comparisons, ``and``,
``or``, ``not()``, ``selected()``, ``count-selected()``, ``string-length()``, string and
number literals. Everything else (arithmetic, ``regex()``, ``today()``, paths, calculations)
raises :class:`UntranslatableExpression`, so that the importer reports it instead of dropping it.

The translation keeps XPath's behaviour where the two languages differ:

* An unanswered question holds ``''`` in XPath, so ``${q} != 'a'`` is true when ``q`` was
  skipped; in our language a comparison with an unanswered question is false. ``!=`` is
  therefore written ``not (q = 'a')``.
* XPath compares a choice code with a number as numbers (``${q} = 1``); the number becomes the
  code it matches (``q = '1'``), as our choice codes are strings.
* ``${m} = 'a'`` on a select_multiple is true only when exactly ``a`` is chosen.
* An acknowledge question holds ``'OK'`` or nothing; it is imported as yes/no.

``xlsform_xpath`` reads the expression into a tree; this module writes that tree in our language.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal, TypeAlias

from questionnaires import xlsform_xpath as xpath
from questionnaires.xlsform_xpath import UntranslatableExpression

__all__ = [
    "AnswerKind",
    "Reference",
    "Resolver",
    "UntranslatableExpression",
    "conjunction",
    "translate_expression",
]

AnswerKind: TypeAlias = Literal["choice", "multiple", "acknowledge", "number", "text"]


@dataclass(frozen=True, slots=True)
class Reference:
    """What an XLSForm reference (``${name}`` or ``.``) stands for: our question id, its kind of answer, its codes."""

    id: str
    kind: AnswerKind
    codes: tuple[str, ...] = ()


Resolver: TypeAlias = Callable[[str], Reference]
"""Turns an XLSForm name into its Reference, or raises UntranslatableExpression."""

_MIRROR = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_ORDERING = frozenset({"<", "<=", ">", ">="})


def read_decimal(text: str) -> Decimal | None:
    """A finite number written in a form (a literal, a choice code, a parameter), or None."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _format_number(value: Decimal) -> str:
    text = format(value, "f")
    return "0" + text if text.startswith(".") else text


def _quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def _negated(condition: str, op: str) -> str:
    return f"not ({condition})" if op == "!=" else condition


class _Translator:
    def __init__(self, resolve: Resolver, dot: Reference | None) -> None:
        self.resolve = resolve
        self.dot = dot

    def operand(self, ref: xpath.Ref) -> Reference:
        if ref.name == ".":
            if self.dot is None:
                raise UntranslatableExpression("'.' (the answer itself) only makes sense in a constraint")
            return self.dot
        return self.resolve(ref.name)

    def condition(self, node: xpath.Node) -> str:
        if isinstance(node, xpath.Binary) and node.op in {"and", "or"}:
            parts = []
            for side in (node.left, node.right):
                text = self.condition(side)
                # Parenthesised whenever and/or mix, so precedence never has to be trusted.
                mixed = isinstance(side, xpath.Binary) and side.op in {"and", "or"} and side.op != node.op
                parts.append(f"({text})" if mixed else text)
            return f" {node.op} ".join(parts)
        if isinstance(node, xpath.Binary):
            return self.comparison(node)
        if isinstance(node, xpath.Call):
            return self.boolean_call(node)
        raise UntranslatableExpression("a value on its own is not a condition")

    def boolean_call(self, call: xpath.Call) -> str:
        if call.function == "not" and len(call.args) == 1:
            inner = self.condition(call.args[0])
            return f"not {inner}" if re.fullmatch(r"[a-z]+\([^()]*\)", inner) else f"not ({inner})"
        if call.function == "selected" and len(call.args) == 2:
            target, code = call.args
            if not isinstance(target, xpath.Ref) or not isinstance(code, xpath.Literal):
                raise UntranslatableExpression("selected() needs a question and a code")
            operand = self.operand(target)
            if operand.kind not in {"choice", "multiple"}:
                raise UntranslatableExpression(f"selected() on '{target.name}', not a choice question")
            return f"selected({operand.id}, {_quote(self.code(operand, code))})"
        raise UntranslatableExpression(f"the function {call.function}() is not supported")

    def code(self, operand: Reference, literal: xpath.Literal) -> str:
        """The choice code a literal stands for (XPath compares numbers with codes numerically)."""
        if literal.is_string:
            return literal.value
        wanted = read_decimal(literal.value)
        matches = [c for c in operand.codes if wanted is not None and read_decimal(c) == wanted]
        return matches[0] if len(matches) == 1 else literal.value

    def value(self, node: xpath.Node, numeric: bool) -> str:
        """A side of a comparison between answers, count() or length(), and perhaps a literal."""
        if isinstance(node, xpath.Literal):
            number = read_decimal(node.value)
            if numeric and number is None:
                raise UntranslatableExpression(f"'{node.value}' is not a number")
            if node.is_string and not numeric:
                return _quote(node.value)
            assert number is not None
            return _format_number(number)
        if isinstance(node, xpath.Call) and node.function in {"count-selected", "string-length"}:
            if len(node.args) != 1 or not isinstance(node.args[0], xpath.Ref):
                raise UntranslatableExpression(f"{node.function}() needs one question")
            operand = self.operand(node.args[0])
            if node.function == "count-selected":
                if operand.kind != "multiple":
                    raise UntranslatableExpression(
                        "count-selected() on a question that isn't select_multiple"
                    )
                return f"count({operand.id})"
            return f"length({operand.id})"
        if isinstance(node, xpath.Ref):
            return self.operand(node).id
        if isinstance(node, xpath.Call):
            raise UntranslatableExpression(f"the function {node.function}() is not supported")
        raise UntranslatableExpression("a condition can't be compared")

    def comparison(self, node: xpath.Binary) -> str:
        op, left, right = node.op, node.left, node.right
        if isinstance(left, xpath.Literal) and isinstance(right, xpath.Ref):
            op, left, right = _MIRROR[op], right, left
        if isinstance(left, xpath.Ref) and isinstance(right, xpath.Literal):
            return self.compare_with_literal(self.operand(left), op, right)
        if isinstance(left, xpath.Binary) or isinstance(right, xpath.Binary):
            raise UntranslatableExpression("a comparison of comparisons is not supported")
        if isinstance(left, xpath.Literal) and isinstance(right, xpath.Literal):
            raise UntranslatableExpression("it compares two constants")
        kinds = {self.operand(side).kind for side in (left, right) if isinstance(side, xpath.Ref)}
        if kinds & {"multiple", "acknowledge"}:
            raise UntranslatableExpression("a select_multiple or acknowledge answer can't be compared so")
        if op in _ORDERING and kinds & {"choice", "text"}:
            raise UntranslatableExpression("it orders answers that are not numbers")
        numeric = "number" in kinds or any(isinstance(side, xpath.Call) for side in (left, right))
        comparison = f"{self.value(left, numeric)} {'=' if op == '!=' else op} {self.value(right, numeric)}"
        return _negated(comparison, op)

    def compare_with_literal(self, operand: Reference, op: str, literal: xpath.Literal) -> str:
        name = operand.id
        if literal.is_string and literal.value == "" and op in {"=", "!="}:
            if operand.kind == "acknowledge":
                return _negated(f"{name} = 'yes'", "!=" if op == "=" else "=")
            return f"answered({name})" if op == "!=" else f"not answered({name})"
        if operand.kind == "acknowledge":
            if op not in {"=", "!="} or literal.value != "OK":
                raise UntranslatableExpression("an acknowledge answer can only be compared with 'OK' or ''")
            return _negated(f"{name} = 'yes'", op)
        if operand.kind == "multiple":
            if op not in {"=", "!="}:
                raise UntranslatableExpression(f"'{name}' (select_multiple) can't be ordered")
            codes = [self.code(operand, xpath.Literal(c, literal.is_string)) for c in literal.value.split()]
            if not codes:
                raise UntranslatableExpression("it compares with an empty list of codes")
            parts = [f"selected({name}, {_quote(c)})" for c in codes] + [f"count({name}) = {len(codes)}"]
            return _negated(" and ".join(parts), op) if op == "!=" else f"({' and '.join(parts)})"
        if operand.kind == "choice":
            return self.compare_codes(operand, op, literal)
        if operand.kind == "number":
            number = read_decimal(literal.value)
            if number is None:
                raise UntranslatableExpression(f"'{name}' is a number and '{literal.value}' is not")
            return _negated(f"{name} {'=' if op == '!=' else op} {_format_number(number)}", op)
        if op in _ORDERING:
            raise UntranslatableExpression(f"'{name}' is a text and can't be ordered")
        return _negated(f"{name} = {_quote(literal.value)}", op)

    def compare_codes(self, operand: Reference, op: str, literal: xpath.Literal) -> str:
        name = operand.id
        if op in _ORDERING:
            # Both languages read a code that looks like a number as that number, so
            # ``${q} > 2`` keeps its meaning; a code that isn't a number is in no order.
            bound = read_decimal(literal.value)
            if bound is None:
                raise UntranslatableExpression(f"'{literal.value}' is not a number")
            return f"{name} {op} {_format_number(bound)}"
        return _negated(f"{name} = {_quote(self.code(operand, literal))}", op)


def translate_expression(expression: str, resolve: Resolver, dot: Reference | None = None) -> str:
    """Our condition for an XLSForm expression; ``dot`` is the answer ``.`` stands for, in constraints."""
    return _Translator(resolve, dot).condition(xpath.parse_xpath(expression))


def conjunction(conditions: list[str]) -> str:
    """Several conditions that must all hold; any holding an ``or`` is parenthesised, to be safe."""
    if len(conditions) == 1:
        return conditions[0]
    return " and ".join(f"({c})" if " or " in c else c for c in conditions)
