"""Import an XLSForm (ODK, KoboToolbox) as a questionnaire document of ours.

pyxform reads the workbook (.xlsx or .xls) into its JSON dict; this module walks that dict
and writes a document in the format of ``docs/questionnaires.md``. Every survey row ends up
either as a question or as a :class:`Problem` naming its row: nothing is dropped silently.
Errors mark what makes the result behave differently from the form (a question or a condition
that could not be carried); warnings mark what was carried with a change.

Decisions (the reply to "what happens to X"):

* Groups are flattened; a group's ``relevant`` is ANDed into each question's ``show_if``.
* Repeats, loops and every row inside them, geo, media, barcode, date and time, rank,
  external and file-based selects are not imported (errors). Metadata (start, end, deviceid…),
  calculate and hidden rows ask nothing of the respondent and are reported as warnings.
* ``acknowledge`` becomes ``yes_no`` (answering "yes" is acknowledging); conditions on it
  are translated (``${ack} = 'OK'`` becomes ``ack = 'yes'``).
* ``or_other`` becomes an "other" choice plus an optional text question ``<name>_other``
  shown when "other" is chosen, as pyxform itself expands it.
* ``range`` becomes ``scale`` with integer bounds, otherwise ``number`` with ``min``/``max``.
* A read-only question is shown, not asked: it becomes a ``note``.
* ``choice_filter`` can't be carried: the question keeps every choice, with an error.

The driver is here; ``xlsform_rows`` matches rows to pyxform's elements and maps types,
``xlsform_languages`` picks the languages and texts, ``xlsform_questions`` converts each question and
``xlsform_expressions`` its conditions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from questionnaires.problems import Problem, ProblemReport
from questionnaires.xlsform_languages import Languages
from questionnaires.xlsform_questions import Context, ImportedQuestions, sanitized
from questionnaires.xlsform_rows import (
    METADATA_TYPES,
    NOT_ASKED,
    NOT_CARRIED,
    PLAIN_TYPES,
    SELECT_TYPES,
    Row,
    Rows,
    elements,
)

DEFAULT_CONSENT_VERSION = "xlsform-default-1"
DEFAULT_CONSENT: Mapping[str, str] = {
    "fr": "Vos réponses sont confidentielles et servent uniquement à cette enquête. "
    "Acceptez-vous de répondre ?",
    "nl": "Uw antwoorden zijn vertrouwelijk en worden alleen voor deze enquête gebruikt. Wilt u antwoorden?",
    "en": "Your answers are confidential and are used only for this survey. Do you agree to answer?",
}
MAX_VERSION = 2**31 - 1
_ROW_NUMBER = re.compile(r"survey row (\d+)")


@dataclass(frozen=True)
class XlsformImport:
    """A document in our format and the problems met on the way (row by row)."""

    document: dict[str, Any]
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def to_yaml(self) -> str:
        """The document as YAML, as ``vises questionnaire validate`` reads it."""
        return yaml.safe_dump(self.document, allow_unicode=True, sort_keys=False)


def import_xlsform(path: Path | str) -> XlsformImport:
    """Convert an XLSForm (.xlsx or .xls); pyxform's own errors become problems, never exceptions."""
    # pyxform takes about 0.4 s to import: only this command should pay for it.
    from pyxform import xls2json
    from pyxform.xls2json_backends import get_xlsform

    source = str(path)
    try:
        form = xls2json.parse_file_to_json(source, warnings=[])
        rows = get_xlsform(source).survey or []
    # pyxform raises PyXFormError for a bad form but plain exceptions for unreadable files:
    # whatever it raises, the form can't be read and the user must hear why.
    except Exception as error:
        message = re.sub(r"\s+", " ", str(error)).strip() or type(error).__name__
        return XlsformImport({}, [Problem(source, "file", f"pyxform could not read the form: {message}")])
    return _Importer(source, form, rows).run()


class _Importer:
    """One import: pyxform's elements walked in sheet order, so that a condition meets only earlier questions."""

    def __init__(self, source: str, form: dict[str, Any], raw_rows: list[dict[str, Any]]) -> None:
        self.source = source
        self.form = form
        self.rows = Rows(raw_rows)
        self.report = ProblemReport(source)
        self.languages = Languages(form, self.report.warn)
        names = {str(element.get("name", "")) for element in elements(form.get("children", []))}
        self.imported = ImportedQuestions(self.report, self.languages, names)
        self.entities_reported = False

    def run(self) -> XlsformImport:
        self._walk(self.form.get("children", []), Context())
        for row in self.rows.left_over():
            if row.disabled:
                self.report.warn(row.location, "the row is disabled; not imported")
            else:
                self.report.error(row.location, f"pyxform left out this '{row.type}' row; not imported")
        if not self.imported.questions:
            self.report.error("survey", "no question could be imported")
        document = self._document()
        # File-wide problems first, then row by row, each row's problems in the order found.
        self.report.problems.sort(
            key=lambda p: int(m.group(1)) if (m := _ROW_NUMBER.match(p.location)) else 0
        )
        return XlsformImport(document, self.report.problems)

    def _document(self) -> dict[str, Any]:
        codes = self.languages.codes
        form_id = str(self.form.get("id_string") or "imported")
        document_id = sanitized(form_id, allow_dash=True)
        if document_id != form_id:
            self.report.warn("settings", f'the form id "{form_id}" became "{document_id}"')
        version = self._version()
        self.report.warn("consent", "a default consent text was added; review it")
        title = str(self.form.get("title") or form_id)
        return {
            "id": document_id,
            "version": version,
            "title": dict.fromkeys(codes, title),
            "languages": list(codes),
            "default_language": self.languages.default,
            "source": f"Imported from the XLSForm {Path(self.source).name}",
            "consent": {
                "version": DEFAULT_CONSENT_VERSION,
                "text": {code: DEFAULT_CONSENT[code] for code in codes},
            },
            "questions": self.imported.questions,
        }

    def _version(self) -> int:
        version = str(self.form.get("version") or "").strip()
        if re.fullmatch(r"\d+", version) and 0 < int(version) <= MAX_VERSION:
            return int(version)
        if version:
            self.report.warn(
                "settings", f"version '{version}' is not a whole number from 1 to {MAX_VERSION}; 1 used"
            )
        else:
            self.report.warn("settings", "the form has no version; 1 used")
        return 1

    # -- walking the survey -------------------------------------------------------------------

    def _walk(self, children: list[dict[str, Any]], context: Context) -> None:
        for element in children:
            name = str(element.get("name", ""))
            element_type = str(element.get("type", ""))
            row = self.rows.take(name, element_type)
            if row is None:
                self._generated(element, context)
            elif context.repeat is not None:
                where = f'{context.repeat_kind} "{context.repeat.name}" (row {context.repeat.number})'
                self.imported.drop(row, f"it is inside {where}; not imported", name)
                self._walk(element.get("children", []), context)
            elif element_type in {"repeat", "loop"}:
                self.imported.drop(
                    row,
                    f"{element_type}s cannot be carried: neither it nor the rows inside; not imported",
                    name,
                )
                self._walk(element.get("children", []), Context(repeat=row, repeat_kind=element_type))
            elif element_type == "group":
                self._group(element, row, context)
            else:
                self._element(element, row, context)

    def _generated(self, element: dict[str, Any], context: Context) -> None:
        """Elements pyxform adds on its own: meta/instanceID, table-list labels, or_other, entities."""
        if element.get("type") == "entity" and not self.entities_reported:
            self.entities_reported = True
            self.report.warn("entities sheet", "entities (ODK datasets) are not carried")
        elif element.get("children") and element.get("type") == "group":
            self._walk(element["children"], context)

    def _group(self, element: dict[str, Any], row: Row, context: Context) -> None:
        inner = Context(context.conditions)
        relevant = str(element.get("bind", {}).get("relevant", "")).strip()
        message = f'group "{row.name}" was flattened: its questions are asked one after another'
        self.report.warn(row.location, message)
        condition = self.imported.condition(relevant, row, None, None) if relevant else None
        if condition is not None:
            inner.conditions = (*context.conditions, condition)
        self._walk(element.get("children", []), inner)
        context.imported.extend(inner.imported)
        if relevant and condition is None and inner.imported:
            self.report.error(
                row.location, f"so these questions are shown regardless of it: {', '.join(inner.imported)}"
            )

    def _element(self, element: dict[str, Any], row: Row, context: Context) -> None:
        element_type = str(element.get("type", ""))
        name = row.name or str(element.get("name", ""))
        if element_type in METADATA_TYPES or element_type.startswith("uri:"):
            self.imported.drop(
                row, f"'{row.type}' is metadata recorded by ODK's device; not imported", name, "warning"
            )
        elif element_type in NOT_ASKED:
            self.imported.drop(
                row, f"'{row.type}' asks nothing of the respondent; not imported", name, "warning"
            )
        elif element_type in NOT_CARRIED:
            what = NOT_CARRIED[element_type]
            self.imported.drop(
                row, f"'{row.type}' questions cannot be carried (no {what}); not imported", name
            )
        elif element_type in SELECT_TYPES or element_type in PLAIN_TYPES or element_type == "range":
            self.imported.add(element, row, context)
        else:
            self.imported.drop(row, f"the type '{row.type}' cannot be carried; not imported", name)
