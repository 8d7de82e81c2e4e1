"""Reading a ``show_if`` or ``constraint`` into a condition tree (docs/questionnaires.md, "Conditions").

A condition is parsed once, when a definition is loaded; nothing is ever passed to ``eval``. Syntax errors
carry the position of the problem, so that a definition's author is told where to look.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal

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
)

KEYWORDS: Final = frozenset({"and", "or", "not", "in"})
FUNCTIONS: Final = ("answered", "selected", "count", "length")
_MAX_DEPTH = 64


class ConditionSyntaxError(ValueError):
    """A condition that can't be read; ``position`` is the 0-based character offset of the problem."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at character {position + 1})")
        self.message = message
        self.position = position


# --- tokens -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    kind: Literal["number", "string", "name", "op", "punct", "end"]
    text: str
    position: int
    value: Scalar = ""


_NUMBER = re.compile(r"\d+(?:\.\d+)?|\.\d+")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_XLSFORM_REF = re.compile(r"\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}")
_OPERATORS = ("==", "!=", "<=", ">=", "=", "<", ">")
_PUNCTUATION = "()[],.-"
_CURLY_QUOTES = "\u2018\u2019\u201c\u201d\u00ab\u00bb"


def _read_string(source: str, start: int) -> tuple[_Token, int]:
    quote = source[start]
    chars: list[str] = []
    i = start + 1
    while i < len(source):
        char = source[i]
        if char == "\\" and i + 1 < len(source):
            chars.append(source[i + 1])
            i += 2
            continue
        if char == quote:
            text = "".join(chars)
            return _Token("string", source[start : i + 1], start, text), i + 1
        chars.append(char)
        i += 1
    raise ConditionSyntaxError(f"the text starting with {quote} is never closed", start)


def _tokens(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(source):
        char = source[i]
        if char.isspace():
            i += 1
            continue
        if char in "'\"":
            token, i = _read_string(source, i)
            tokens.append(token)
            continue
        if char in _CURLY_QUOTES:
            raise ConditionSyntaxError(f"use straight quotes ' or \" instead of {char}", i)
        if (match := _NUMBER.match(source, i)) is not None:
            text = match.group()
            value: Scalar = float(text) if "." in text else int(text)
            tokens.append(_Token("number", text, i, value))
            i = match.end()
            continue
        match = _NAME.match(source, i) or _XLSFORM_REF.match(source, i)
        if match is not None:
            name = match.group(match.lastindex or 0)
            tokens.append(_Token("name", name, i, name))
            i = match.end()
            continue
        operator = next((op for op in _OPERATORS if source.startswith(op, i)), None)
        if operator is not None:
            tokens.append(_Token("op", operator, i, "=" if operator == "==" else operator))
            i += len(operator)
            continue
        if char in _PUNCTUATION:
            tokens.append(_Token("punct", char, i))
            i += 1
            continue
        hint = " (write != for 'not equal')" if char == "!" else ""
        raise ConditionSyntaxError(f"unexpected character {char!r}{hint}", i)
    tokens.append(_Token("end", "", len(source)))
    return tokens


# --- parser -------------------------------------------------------------------------------------------


class _Parser:
    """Recursive descent: or > and > not > comparison > operand."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = _tokens(source)
        self.index = 0
        self.depth = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.token
        if token.kind != "end":
            self.index += 1
        return token

    def at(self, kind: str, text: str | None = None) -> bool:
        token = self.token
        return token.kind == kind and (text is None or token.text == text)

    def accept(self, kind: str, text: str) -> bool:
        if self.at(kind, text):
            self.advance()
            return True
        return False

    def expect(self, kind: str, text: str, what: str) -> None:
        if not self.accept(kind, text):
            raise self.error(f"expected {what}")

    def error(self, message: str, token: _Token | None = None) -> ConditionSyntaxError:
        token = token or self.token
        found = "the end" if token.kind == "end" else repr(token.text)
        return ConditionSyntaxError(f"{message}, found {found}", token.position)

    def parse(self) -> Condition:
        if self.at("end"):
            raise ConditionSyntaxError("the condition is empty", 0)
        cond = self.disjunction()
        if not self.at("end"):
            raise self.error("expected 'and', 'or' or the end of the condition")
        return cond

    def disjunction(self) -> Condition:
        parts = [self.conjunction()]
        while self.accept("name", "or"):
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def conjunction(self) -> Condition:
        parts = [self.negation()]
        while self.accept("name", "and"):
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def negation(self) -> Condition:
        if self.accept("name", "not"):
            return Not(self.nested(self.negation))
        if self.at("punct", "("):
            self.advance()
            cond = self.nested(self.disjunction)
            self.expect("punct", ")", "')'")
            return cond
        return self.comparison()

    def nested(self, parse: Callable[[], Condition]) -> Condition:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise ConditionSyntaxError("the condition is nested too deeply", self.token.position)
        try:
            return parse()
        finally:
            self.depth -= 1

    def comparison(self) -> Condition:
        start = self.token
        if start.kind == "name" and start.text in ("answered", "selected") and self.peek_call():
            return self.boolean_call()
        left = self.operand()
        if self.at("op"):
            op = self.advance().value
            assert isinstance(op, str)
            return Comparison(left, _compare_op(op), self.operand())
        if self.accept("name", "in"):
            return Membership(left, self.values())
        if self.at("name", "not") and self.tokens[self.index + 1].text == "in":
            self.index += 2
            return Membership(left, self.values(), negated=True)
        raise self.error(f"expected a comparison after {start.text!r} (for example {start.text} = '1')")

    def peek_call(self) -> bool:
        return self.tokens[self.index + 1].text == "("

    def boolean_call(self) -> Condition:
        name = self.advance().text
        self.expect("punct", "(", "'('")
        target = self.target(name)
        if name == "answered":
            self.expect("punct", ")", "')' (answered() takes one question)")
            return Answered(target)
        self.expect("punct", ",", "',' then a choice code (selected(A1, '2'))")
        code_token = self.advance()
        whole = code_token.kind == "number" and isinstance(code_token.value, int)
        if code_token.kind != "string" and not whole:
            raise self.error("expected a choice code in quotes", code_token)
        code = str(code_token.value)
        self.expect("punct", ")", "')'")
        return Selected(target, code)

    def target(self, function: str) -> Target:
        token = self.advance()
        if token.kind == "punct" and token.text == ".":
            return CurrentAnswer()
        if token.kind == "name" and token.text not in KEYWORDS:
            return AnswerOf(token.text)
        raise self.error(f"{function}() needs a question id or '.'", token)

    def operand(self) -> Operand:
        token = self.token
        if token.kind in ("number", "string"):
            self.advance()
            return Constant(token.value)
        if token.kind == "punct" and token.text == "-":
            return Constant(self.negative_number())
        if token.kind == "punct" and token.text == ".":
            self.advance()
            return CurrentAnswer()
        if token.kind == "name" and token.text not in KEYWORDS:
            self.advance()
            if not self.at("punct", "("):
                return AnswerOf(token.text)
            if token.text in ("count", "length"):
                self.advance()
                target = self.target(token.text)
                self.expect("punct", ")", "')'")
                return Count(target) if token.text == "count" else Length(target)
            if token.text in ("answered", "selected"):
                raise self.error(f"{token.text}() is already true or false and can't be compared", token)
            known = ", ".join(f"{f}()" for f in FUNCTIONS)
            raise ConditionSyntaxError(f"unknown function {token.text}() (known: {known})", token.position)
        raise self.error("expected a question id, a number, a text in quotes or '.'")

    def negative_number(self) -> Scalar:
        self.advance()
        token = self.advance()
        if token.kind != "number" or isinstance(token.value, str):
            raise self.error("expected a number after '-'", token)
        return -token.value

    def values(self) -> tuple[Scalar, ...]:
        self.expect("punct", "[", "a list in square brackets after 'in' (A1 in ['1', '2'])")
        values: list[Scalar] = []
        while not self.accept("punct", "]"):
            if values:
                self.expect("punct", ",", "',' or ']'")
                if self.accept("punct", "]"):
                    break
            token = self.token
            if token.kind in ("number", "string"):
                values.append(self.advance().value)
            elif token.kind == "punct" and token.text == "-":
                values.append(self.negative_number())
            else:
                raise self.error("expected a number or a text in quotes in the list")
        if not values:
            raise ConditionSyntaxError("the list is empty", self.tokens[self.index - 1].position)
        return tuple(values)


def _compare_op(op: str) -> CompareOp:
    for candidate in ("=", "!=", "<", "<=", ">", ">="):
        if op == candidate:
            return candidate
    raise AssertionError(op)


def parse_condition(source: str) -> Condition:
    """Read a condition written in a definition; raises ConditionSyntaxError with the position."""
    return _Parser(source).parse()
