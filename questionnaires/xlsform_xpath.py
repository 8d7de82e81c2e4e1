"""XLSForm expressions (an XPath 1.0 subset with ``${name}`` references) read into a small tree.

The grammar is XPath's, so precedence matches what the form's author saw in ODK: ``or`` binds looser
than ``and``, then equality, then ordering. What our condition language can't say at all (arithmetic,
paths, predicates) is refused here, with :class:`UntranslatableExpression`; the translator refuses the
rest, such as unknown functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, TypeAlias

REFERENCE: Final = re.compile(r"\$\{\s*(?P<refname>[^}\s]+)\s*\}")
"""A ``${name}`` reference to a question, in an expression or in a label."""


class UntranslatableExpression(ValueError):
    """The expression uses something our condition language can't say; the message says what."""


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<ref>"""
    + REFERENCE.pattern
    + r""")
      | (?P<string>'[^']*'|"[^"]*")
      | (?P<number>\d+(?:\.\d*)?|\.\d+)
      | (?P<op>!=|<=|>=|=|<|>|\(|\)|,|\.\.|\.|\+|-|\*|/|\||\[|\])
      | (?P<name>[A-Za-z_][\w.:-]*)
      | (?P<bad>\S)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference to a question's answer."""

    name: str  # "." for the current node


@dataclass(frozen=True, slots=True)
class Literal:
    """A string or number written in the expression, as written."""

    value: str
    is_string: bool


@dataclass(frozen=True, slots=True)
class Call:
    """A function call, such as ``selected(${q}, 'a')``."""

    function: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Binary:
    """``left op right`` for ``and``, ``or`` and the comparisons."""

    op: str
    left: Node
    right: Node


Node: TypeAlias = Ref | Literal | Call | Binary


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

    def parse(self) -> Node:
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

    def _or(self) -> Node:
        node = self._and()
        while self._accept("or"):
            node = Binary("or", node, self._and())
        return node

    def _and(self) -> Node:
        node = self._equality()
        while self._accept("and"):
            node = Binary("and", node, self._equality())
        return node

    def _equality(self) -> Node:
        node = self._relational()
        while (op := self._accept("=", "!=")) is not None:
            node = Binary(op, node, self._relational())
        return node

    def _relational(self) -> Node:
        node = self._unary()
        while (op := self._accept("<", "<=", ">", ">=")) is not None:
            node = Binary(op, node, self._unary())
        token = self._peek()
        if token is not None and token.text in {"+", "-", "*", "div", "mod", "|", "/", "["}:
            raise UntranslatableExpression(f"arithmetic and paths ('{token.text}') are not supported")
        return node

    def _unary(self) -> Node:
        if self._accept("-"):
            token = self._peek()
            if token is None or token.kind != "number":
                raise UntranslatableExpression("arithmetic ('-') is not supported")
            self.position += 1
            return Literal("-" + token.text, is_string=False)
        return self._primary()

    def _primary(self) -> Node:
        token = self._peek()
        if token is None:
            raise UntranslatableExpression("it ends too early")
        self.position += 1
        if token.kind == "ref":
            return Ref(token.text)
        if token.kind == "string":
            return Literal(token.text[1:-1], is_string=True)
        if token.kind == "number":
            return Literal(token.text, is_string=False)
        if token.text == "(":
            node = self._or()
            self._expect(")")
            return node
        if token.text == ".":
            return Ref(".")
        if token.kind == "name" and self._accept("("):
            args: list[Node] = []
            if not self._accept(")"):
                args.append(self._or())
                while self._accept(","):
                    args.append(self._or())
                self._expect(")")
            return Call(token.text, tuple(args))
        if token.text in {"..", "/"} or token.kind == "name":
            raise UntranslatableExpression(f"paths ('{token.text}') are not supported")
        raise UntranslatableExpression(f"'{token.text}' is not supported")


def parse_xpath(expression: str) -> Node:
    """The tree of an XLSForm expression; raises UntranslatableExpression for what can't be carried."""
    return _Parser(expression).parse()
