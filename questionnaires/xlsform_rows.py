"""The survey sheet of an XLSForm: its rows, matched to the elements pyxform built, and what each type becomes.

pyxform builds a tree of elements from the survey sheet but keeps no row numbers, and drops some rows
silently; matching the raw rows to the elements lets every problem name its row, and leaves over the
rows pyxform dropped so that they are reported too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from questionnaires.xlsform_expressions import AnswerKind

SELECT_TYPES: Final[Mapping[str, str]] = {
    "select one": "single_choice",
    "select all that apply": "multiple_choice",
}
"""XLSForm select types and the question types they become."""

PLAIN_TYPES: Final[Mapping[str, str]] = {
    "text": "text",
    "string": "text",
    "phone number": "text",
    "integer": "integer",
    "int": "integer",
    "decimal": "number",
    "note": "note",
    "acknowledge": "yes_no",
    "trigger": "yes_no",
}
"""The other XLSForm types asked of a respondent, and the question types they become."""

ANSWER_KINDS: Final[Mapping[str, AnswerKind]] = {
    "single_choice": "choice",
    "multiple_choice": "multiple",
    "yes_no": "acknowledge",
    "integer": "number",
    "number": "number",
    "scale": "number",
    "text": "text",
}
"""The kind of answer each of our question types gives, for translating conditions on it."""

METADATA_TYPES: Final = {
    "start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber", "username", "email",
    "audit", "start-geopoint", "background-audio", "background-geopoint", "xml-external", "csv-external",
}  # fmt: skip
NOT_ASKED: Final = {"calculate", "hidden"}
NOT_CARRIED: Final = {
    "geopoint": "locations", "geotrace": "locations", "geoshape": "locations", "osm": "maps",
    "photo": "media", "image": "media", "audio": "media", "video": "media", "file": "media",
    "barcode": "barcode scans", "date": "dates", "time": "times", "datetime": "dates",
    "dateTime": "dates", "rank": "rankings", "select one external": "external choice lists",
}  # fmt: skip
CONTAINERS: Final = frozenset({"group", "repeat", "loop"})
OR_OTHER: Final = re.compile(
    r"\s(or specify other|or_other|or other)\s*$", re.IGNORECASE
)  # as pyxform's RE_SELECT
_STRUCTURAL_ROW = re.compile(r"end[\s_]+(group|repeat|loop)\b", re.IGNORECASE)
_UNNAMED_NOTE = re.compile(r"generated_note_name_(\d+)")  # pyxform names an unnamed note by its row
_TRUTHY = {"yes", "true", "true()", "1"}
_FALSY = {"", "no", "false", "false()", "0"}


def flag(value: Any) -> bool:
    """Whether a cell such as ``required`` or ``disabled`` says yes ("yes", "true", "true()", "1")."""
    return str(value or "").strip().lower() in _TRUTHY


def is_flag(value: Any) -> bool:
    """Whether a cell says yes or no, rather than holding an expression to evaluate."""
    return str(value or "").strip().lower() in _TRUTHY | _FALSY


def elements(children: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every element of pyxform's tree in sheet order, those inside groups and repeats included."""
    for element in children:
        yield element
        if element.get("type") in CONTAINERS:
            yield from elements(element.get("children", []))


@dataclass(slots=True)
class Row:
    """A survey row that asks or shows something (not an "end group" row), as written in the sheet."""

    number: int
    type: str
    name: str
    disabled: bool

    @property
    def location(self) -> str:
        return f'survey row {self.number} (name "{self.name}")' if self.name else f"survey row {self.number}"


class Rows:
    """The raw survey rows, matched one by one to the elements pyxform built from them."""

    def __init__(self, raw_rows: list[dict[str, Any]]) -> None:
        self.rows: dict[int, Row] = {}
        for number, raw in enumerate(raw_rows, start=2):
            cells = {str(k).strip().lower(): str(v).strip() for k, v in raw.items() if v is not None}
            row_type = cells.get("type") or cells.get("command") or ""
            name = cells.get("name") or cells.get("tag") or cells.get("value") or ""
            if row_type and not _STRUCTURAL_ROW.match(row_type):
                self.rows[number] = Row(number, row_type, name, flag(cells.get("disabled")))
        self.taken: set[int] = set()

    def take(self, name: str, element_type: str) -> Row | None:
        """The row an element was built from, by its name (or, for unnamed notes, by pyxform's)."""
        generated = _UNNAMED_NOTE.fullmatch(name)
        for row in self.rows.values():
            if row.number in self.taken:
                continue
            if (
                row.name == name
                or (generated is not None and row.number == int(generated.group(1)))
                or (not row.name and name == element_type == "audit" and row.type.lower() == "audit")
            ):
                self.taken.add(row.number)
                return row
        return None

    def left_over(self) -> list[Row]:
        """The rows no element was built from: pyxform left them out."""
        return [row for number, row in self.rows.items() if number not in self.taken]
