"""Marshmallow's error messages as located problems: ``question A1``, ``indicator recommend``, ``consent``.

Marshmallow reports errors as nested dicts keyed by field name and list index; an author wants to read
"question A1: text: is required" instead, in plain words, with a suggestion for a misspelt field.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from questionnaires.problems import Problem
from questionnaires.schema import FIELD_NAMES

_FRIENDLIER = {
    "Missing data for required field.": "required",
    "Unknown field.": "not-known",
    "Not a valid string.": "not-text",
    "Not a valid integer.": "not-whole-number",
    "Not a valid boolean.": "not-boolean",
    "Not a valid list.": "not-list",
    "Invalid input type.": "not-mapping",
    "Invalid type.": "not-mapping",
    "Field may not be null.": "empty",
}
"""Marshmallow's messages by the code of their plainer wording (``problem_texts``): ``field-`` + code
when the problem is about a field of the item located, ``-suggestion`` when a known field is close."""


def _flatten(
    messages: object, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            yield from _flatten(value, path if key == "_schema" else (*path, key))
    elif isinstance(messages, list | tuple):
        for item in messages:
            yield from _flatten(item, path)
    else:
        yield path, str(messages)


def _item_name(kind: str, items: object, index: int) -> str:
    item = items[index] if isinstance(items, list) and index < len(items) else None
    ident = item.get("id") if isinstance(item, Mapping) else None
    return f"{kind} {ident}" if isinstance(ident, str) and ident else f"{kind} #{index + 1}"


def _field_path(path: Sequence[str | int]) -> str:
    parts: list[str] = []
    for step in path:
        if isinstance(step, int) and parts:
            parts[-1] += f" #{step + 1}"
        else:
            parts.append(str(step))
    return ".".join(parts)


def schema_problems(messages: object, doc: Mapping[str, Any], source: str) -> list[Problem]:
    """The problems in marshmallow's ``messages`` about ``doc``, each located by the item it is about."""
    problems = []
    for path, text in _flatten(messages):
        code = _FRIENDLIER.get(text)
        params: dict[str, str] = {}
        if code == "not-known" and path and isinstance(path[-1], str):
            close = difflib.get_close_matches(path[-1], sorted(FIELD_NAMES), n=1, cutoff=0.7)
            if close:
                code, params["suggestion"] = "not-known-suggestion", close[0]
        kinds = {"questions": "question", "indicators": "indicator"}
        if len(path) >= 2 and path[0] in kinds and isinstance(path[1], int):
            location = _item_name(kinds[str(path[0])], doc.get(str(path[0])), path[1])
            rest = path[2:]
        elif path and path[0] == "consent":
            location, rest = "consent", path[1:]
        else:
            location, rest = _field_path(path), ()
        where = _field_path(rest)
        if code is None:
            problems.append(Problem(source, location, f"{where}: {text}" if where else text))
        elif where:
            problems.append(Problem.coded(source, location, f"field-{code}", field=where, **params))
        else:
            problems.append(Problem.coded(source, location, code, **params))
    return problems
