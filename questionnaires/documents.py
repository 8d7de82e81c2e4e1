"""Reading definition files: YAML text to plain data, with errors that give the line and column.

The reader is PyYAML's safe loader (no Python objects, no code) with two changes for people who
write questionnaires by hand:

* only ``true`` and ``false`` are booleans (as in YAML 1.2): ``en: No`` or ``code: yes`` stay text,
  where YAML 1.1 would silently turn them into false and true;
* a key given twice in one mapping (two ``fr:`` in a text) is an error, not a silent overwrite;
* a question mark may end a text inside braces, as YAML 1.2 allows: ``{en: Why?, fr: Pourquoi ?}``
  (YAML 1.1 stops a flow scalar at ``?``, which makes most questions written that way unreadable).
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, ScalarNode
from yaml.tokens import ScalarToken

from questionnaires.problems import DefinitionError, Problem

_BOOL_TAG = "tag:yaml.org,2002:bool"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_BREAKS = "\0 \t\r\n\x85\u2028\u2029"


class DefinitionLoader(yaml.SafeLoader):
    """A safe YAML loader with YAML 1.2 booleans and duplicate-key errors."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, ScalarNode) and key_node.tag != _MERGE_TAG:
                if key_node.value in seen:
                    raise ConstructorError(
                        "while reading a mapping",
                        node.start_mark,
                        f"the key {key_node.value!r} is given twice",
                        key_node.start_mark,
                    )
                seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)

    def scan_plain(self) -> ScalarToken:
        """PyYAML's plain-scalar scanner, except that ``?`` doesn't end a scalar in flow context."""
        chunks: list[str] = []
        start_mark = end_mark = self.get_mark()
        indent = self.indent + 1
        spaces: list[str] = []
        while True:
            length = 0
            if self.peek() == "#":
                break
            while True:
                ch = self.peek(length)
                if (
                    ch in _BREAKS
                    or (ch == ":" and self.peek(length + 1) in _BREAKS + (",[]{}" if self.flow_level else ""))
                    or (self.flow_level and ch in ",[]{}")
                ):
                    break
                length += 1
            if length == 0:
                break
            self.allow_simple_key = False
            chunks.extend(spaces)
            chunks.append(self.prefix(length))
            self.forward(length)
            end_mark = self.get_mark()
            spaces = self.scan_plain_spaces(indent, start_mark) or []
            if not spaces or self.peek() == "#" or (not self.flow_level and self.column < indent):
                break
        return ScalarToken("".join(chunks), True, start_mark, end_mark)


DefinitionLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != _BOOL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
DefinitionLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def read_yaml(text: str, source: str) -> object:
    """The data in a YAML text; a syntax error raises DefinitionError located by line and column."""
    try:
        return yaml.load(text, Loader=DefinitionLoader)  # noqa: S506 - DefinitionLoader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        location = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        message = exc.problem or exc.context or "invalid YAML"
        raise DefinitionError([Problem(source, location, f"YAML: {message}")]) from exc
    except yaml.YAMLError as exc:
        raise DefinitionError([Problem(source, "", f"YAML: {exc}")]) from exc
