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
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal, TypeAlias

AnswerKind: TypeAlias = Literal["choice", "multiple", "acknowledge", "number", "text"]


@dataclass(frozen=True, slots=True)
class Reference:
    """What an XLSForm reference (``${name}`` or ``.``) stands for: our question id, its kind of answer, its codes."""

    id: str
    kind: AnswerKind
    codes: tuple[str, ...] = ()


class UntranslatableExpression(ValueError):
    """The expression uses something our condition language can't say; the message says what."""


Resolver: TypeAlias = Callable[[str], Reference]
"""Turns an XLSForm name into its Reference, or raises UntranslatableExpression."""

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<ref>\$\{\s*(?P<refname>[^}\s]+)\s*\})
      | (?P<string>'[^']*'|"[^"]*")
      | (?P<number>\d+(?:\.\d*)?|\.\d+)
      | (?P<op>!=|<=|>=|=|<|>|\(|\)|,|\.\.|\.|\+|-|\*|/|\||\[|\])
      | (?P<name>[A-Za-z_][\w.:-]*)
      | (?P<bad>\S)
    )""",
    re.VERBOSE,
)
_MIRROR = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_ORDERING = frozenset({"<", "<=", ">", ">="})


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class _Ref:
    name: str  # "." for the current node


@dataclass(frozen=True, slots=True)
class _Literal:
    value: str
    is_string: bool


@dataclass(frozen=True, slots=True)
class _Call:
    function: str
    args: tuple[_Node, ...]


@dataclass(frozen=True, slots=True)
class _Binary:
    op: str
    left: _Node
    right: _Node


_Node: TypeAlias = _Ref | _Literal | _Call | _Binary


def _tokenize(expression: str) -> list[_Token]:
    tokens: list[_Token] = []
    for match in _TOKEN.finditer(expression):
        kind = match.lastgroup
        if kind is None:
            continue
        text = match.group("refname") if kind == "ref" else match.group(kind)
        if kind == "bad":
            raise UntranslatableExpression(f"'{text}' is not understood")
        tokens.append(_Token(kind, text))
    return tokens


class _Parser:
    """Recursive descent over XPath's or > and > equality > relational > unary > primary."""

    def __init__(self, expression: str) -> None:
        self.tokens = _tokenize(expression)
        self.position = 0

    def parse(self) -> _Node:
        if not self.tokens:
            raise UntranslatableExpression("it is empty")
        node = self._or()
        if self.position < len(self.tokens):
            raise UntranslatableExpression(f"'{self.tokens[self.position].text}' is not supported")
        return node

    def _peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _accept(self, *texts: str) -> str | None:
        token = self._peek()
        if token is not None and token.kind in {"op", "name"} and token.text in texts:
            self.position += 1
            return token.text
        return None

    def _expect(self, text: str) -> None:
        if self._accept(text) is None:
            raise UntranslatableExpression(f"'{text}' expected")

    def _or(self) -> _Node:
        node = self._and()
        while self._accept("or"):
            node = _Binary("or", node, self._and())
        return node

    def _and(self) -> _Node:
        node = self._equality()
        while self._accept("and"):
            node = _Binary("and", node, self._equality())
        return node

    def _equality(self) -> _Node:
        node = self._relational()
        while (op := self._accept("=", "!=")) is not None:
            node = _Binary(op, node, self._relational())
        return node

    def _relational(self) -> _Node:
        node = self._unary()
        while (op := self._accept("<", "<=", ">", ">=")) is not None:
            node = _Binary(op, node, self._unary())
        token = self._peek()
        if token is not None and token.text in {"+", "-", "*", "div", "mod", "|", "/", "["}:
            raise UntranslatableExpression(f"arithmetic and paths ('{token.text}') are not supported")
        return node

    def _unary(self) -> _Node:
        if self._accept("-"):
            token = self._peek()
            if token is None or token.kind != "number":
                raise UntranslatableExpression("arithmetic ('-') is not supported")
            self.position += 1
            return _Literal("-" + token.text, is_string=False)
        return self._primary()

    def _primary(self) -> _Node:
        token = self._peek()
        if token is None:
            raise UntranslatableExpression("it ends too early")
        self.position += 1
        if token.kind == "ref":
            return _Ref(token.text)
        if token.kind == "string":
            return _Literal(token.text[1:-1], is_string=True)
        if token.kind == "number":
            return _Literal(token.text, is_string=False)
        if token.text == "(":
            node = self._or()
            self._expect(")")
            return node
        if token.text == ".":
            return _Ref(".")
        if token.kind == "name" and self._accept("("):
            args: list[_Node] = []
            if not self._accept(")"):
                args.append(self._or())
                while self._accept(","):
                    args.append(self._or())
                self._expect(")")
            return _Call(token.text, tuple(args))
        if token.text in {"..", "/"} or token.kind == "name":
            raise UntranslatableExpression(f"paths ('{token.text}') are not supported")
        raise UntranslatableExpression(f"'{token.text}' is not supported")


def _number(text: str) -> Decimal | None:
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

    def operand(self, ref: _Ref) -> Reference:
        if ref.name == ".":
            if self.dot is None:
                raise UntranslatableExpression("'.' (the answer itself) only makes sense in a constraint")
            return self.dot
        return self.resolve(ref.name)

    def condition(self, node: _Node) -> str:
        if isinstance(node, _Binary) and node.op in {"and", "or"}:
            parts = []
            for side in (node.left, node.right):
                text = self.condition(side)
                # Parenthesised whenever and/or mix, so precedence never has to be trusted.
                mixed = isinstance(side, _Binary) and side.op in {"and", "or"} and side.op != node.op
                parts.append(f"({text})" if mixed else text)
            return f" {node.op} ".join(parts)
        if isinstance(node, _Binary):
            return self.comparison(node)
        if isinstance(node, _Call):
            return self.boolean_call(node)
        raise UntranslatableExpression("a value on its own is not a condition")

    def boolean_call(self, call: _Call) -> str:
        if call.function == "not" and len(call.args) == 1:
            inner = self.condition(call.args[0])
            return f"not {inner}" if re.fullmatch(r"[a-z]+\([^()]*\)", inner) else f"not ({inner})"
        if call.function == "selected" and len(call.args) == 2:
            target, code = call.args
            if not isinstance(target, _Ref) or not isinstance(code, _Literal):
                raise UntranslatableExpression("selected() needs a question and a code")
            operand = self.operand(target)
            if operand.kind not in {"choice", "multiple"}:
                raise UntranslatableExpression(f"selected() on '{target.name}', not a choice question")
            return f"selected({operand.id}, {_quote(self.code(operand, code))})"
        raise UntranslatableExpression(f"the function {call.function}() is not supported")

    def code(self, operand: Reference, literal: _Literal) -> str:
        """The choice code a literal stands for (XPath compares numbers with codes numerically)."""
        if literal.is_string:
            return literal.value
        wanted = _number(literal.value)
        matches = [c for c in operand.codes if wanted is not None and _number(c) == wanted]
        return matches[0] if len(matches) == 1 else literal.value

    def value(self, node: _Node, numeric: bool) -> str:
        """A side of a comparison between answers, count() or length(), and perhaps a literal."""
        if isinstance(node, _Literal):
            number = _number(node.value)
            if numeric and number is None:
                raise UntranslatableExpression(f"'{node.value}' is not a number")
            if node.is_string and not numeric:
                return _quote(node.value)
            assert number is not None
            return _format_number(number)
        if isinstance(node, _Call) and node.function in {"count-selected", "string-length"}:
            if len(node.args) != 1 or not isinstance(node.args[0], _Ref):
                raise UntranslatableExpression(f"{node.function}() needs one question")
            operand = self.operand(node.args[0])
            if node.function == "count-selected":
                if operand.kind != "multiple":
                    raise UntranslatableExpression(
                        "count-selected() on a question that isn't select_multiple"
                    )
                return f"count({operand.id})"
            return f"length({operand.id})"
        if isinstance(node, _Ref):
            return self.operand(node).id
        if isinstance(node, _Call):
            raise UntranslatableExpression(f"the function {node.function}() is not supported")
        raise UntranslatableExpression("a condition can't be compared")

    def comparison(self, node: _Binary) -> str:
        op, left, right = node.op, node.left, node.right
        if isinstance(left, _Literal) and isinstance(right, _Ref):
            op, left, right = _MIRROR[op], right, left
        if isinstance(left, _Ref) and isinstance(right, _Literal):
            return self.compare_with_literal(self.operand(left), op, right)
        if isinstance(left, _Binary) or isinstance(right, _Binary):
            raise UntranslatableExpression("a comparison of comparisons is not supported")
        if isinstance(left, _Literal) and isinstance(right, _Literal):
            raise UntranslatableExpression("it compares two constants")
        kinds = {self.operand(side).kind for side in (left, right) if isinstance(side, _Ref)}
        if kinds & {"multiple", "acknowledge"}:
            raise UntranslatableExpression("a select_multiple or acknowledge answer can't be compared so")
        if op in _ORDERING and kinds & {"choice", "text"}:
            raise UntranslatableExpression("it orders answers that are not numbers")
        numeric = "number" in kinds or any(isinstance(side, _Call) for side in (left, right))
        comparison = f"{self.value(left, numeric)} {'=' if op == '!=' else op} {self.value(right, numeric)}"
        return _negated(comparison, op)

    def compare_with_literal(self, operand: Reference, op: str, literal: _Literal) -> str:
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
            codes = [self.code(operand, _Literal(c, literal.is_string)) for c in literal.value.split()]
            if not codes:
                raise UntranslatableExpression("it compares with an empty list of codes")
            parts = [f"selected({name}, {_quote(c)})" for c in codes] + [f"count({name}) = {len(codes)}"]
            return _negated(" and ".join(parts), op) if op == "!=" else f"({' and '.join(parts)})"
        if operand.kind == "choice":
            return self.compare_codes(operand, op, literal)
        if operand.kind == "number":
            number = _number(literal.value)
            if number is None:
                raise UntranslatableExpression(f"'{name}' is a number and '{literal.value}' is not")
            return _negated(f"{name} {'=' if op == '!=' else op} {_format_number(number)}", op)
        if op in _ORDERING:
            raise UntranslatableExpression(f"'{name}' is a text and can't be ordered")
        return _negated(f"{name} = {_quote(literal.value)}", op)

    def compare_codes(self, operand: Reference, op: str, literal: _Literal) -> str:
        name = operand.id
        if op in _ORDERING:
            # Both languages read a code that looks like a number as that number, so
            # ``${q} > 2`` keeps its meaning; a code that isn't a number is in no order.
            bound = _number(literal.value)
            if bound is None:
                raise UntranslatableExpression(f"'{literal.value}' is not a number")
            return f"{name} {op} {_format_number(bound)}"
        return _negated(f"{name} = {_quote(self.code(operand, literal))}", op)


def translate_expression(expression: str, resolve: Resolver, dot: Reference | None = None) -> str:
    """Our condition for an XLSForm expression; ``dot`` is the answer ``.`` stands for, in constraints."""
    return _Translator(resolve, dot).condition(_Parser(expression).parse())


def conjunction(conditions: list[str]) -> str:
    """Several conditions that must all hold; any holding an ``or`` is parenthesised, to be safe."""
    if len(conditions) == 1:
        return conditions[0]
    return " and ".join(f"({c})" if " or " in c else c for c in conditions)
