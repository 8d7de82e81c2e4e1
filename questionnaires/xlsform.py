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
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from questionnaires.conditions import KEYWORDS, ConditionSyntaxError, parse_condition
from questionnaires.model import LANGUAGES
from questionnaires.problems import Problem, Severity
from questionnaires.xlsform_expressions import (
    AnswerKind,
    Reference,
    UntranslatableExpression,
    conjunction,
    translate_expression,
)

DEFAULT_CONSENT_VERSION = "xlsform-default-1"
DEFAULT_CONSENT: Mapping[str, str] = {
    "fr": "Vos réponses sont confidentielles et servent uniquement à cette enquête. "
    "Acceptez-vous de répondre ?",
    "nl": "Uw antwoorden zijn vertrouwelijk en worden alleen voor deze enquête gebruikt. Wilt u antwoorden?",
    "en": "Your answers are confidential and are used only for this survey. Do you agree to answer?",
}
OTHER_LABEL: Mapping[str, str] = {"fr": "Autre", "nl": "Andere", "en": "Other"}
OTHER_TEXT: Mapping[str, str] = {"fr": "Précisez :", "nl": "Welke andere?", "en": "Please specify:"}
MAX_VERSION = 2**31 - 1

_CHOICE_TYPES = {"select one": "single_choice", "select all that apply": "multiple_choice"}
_PLAIN_TYPES = {
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
_KINDS: Mapping[str, AnswerKind] = {
    "single_choice": "choice",
    "multiple_choice": "multiple",
    "yes_no": "acknowledge",
    "integer": "number",
    "number": "number",
    "scale": "number",
    "text": "text",
}
_METADATA = {
    "start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber", "username", "email",
    "audit", "start-geopoint", "background-audio", "background-geopoint", "xml-external", "csv-external",
}  # fmt: skip
_NOT_ASKED = {"calculate", "hidden"}
_NOT_CARRIED = {
    "geopoint": "locations", "geotrace": "locations", "geoshape": "locations", "osm": "maps",
    "photo": "media", "image": "media", "audio": "media", "video": "media", "file": "media",
    "barcode": "barcode scans", "date": "dates", "time": "times", "datetime": "dates",
    "dateTime": "dates", "rank": "rankings", "select one external": "external choice lists",
}  # fmt: skip
_STRUCTURAL_ROW = re.compile(r"end[\s_]+(group|repeat|loop)\b", re.IGNORECASE)
_UNNAMED_NOTE = re.compile(r"generated_note_name_(\d+)")  # pyxform names an unnamed note by its row
_LANGUAGE_NAMES = {
    "en": "en", "eng": "en", "english": "en", "anglais": "en", "engels": "en", "englisch": "en",
    "fr": "fr", "fra": "fr", "fre": "fr", "french": "fr", "francais": "fr", "frans": "fr",
    "nl": "nl", "nld": "nl", "dut": "nl", "dutch": "nl", "nederlands": "nl", "neerlandais": "nl",
    "flemish": "nl", "vlaams": "nl", "flamand": "nl",
}  # fmt: skip
_LANGUAGE_WITH_CODE = re.compile(r".*\(\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)*\s*\)\s*")
_UNTRANSLATED = "default"  # pyxform's key for a column without "::language"
_OR_OTHER = re.compile(r"\s(or specify other|or_other|or other)\s*$", re.IGNORECASE)  # as pyxform's RE_SELECT
_ROW_NUMBER = re.compile(r"survey row (\d+)")
_TRUTHY = {"yes", "true", "true()", "1"}
_FALSY = {"", "no", "false", "false()", "0"}


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


@dataclass(slots=True)
class _Row:
    number: int
    type: str
    name: str
    disabled: bool

    @property
    def location(self) -> str:
        return f'survey row {self.number} (name "{self.name}")' if self.name else f"survey row {self.number}"


class _Rows:
    """The raw survey rows, matched one by one to the elements pyxform built from them."""

    def __init__(self, raw_rows: list[dict[str, Any]]) -> None:
        self.rows: dict[int, _Row] = {}
        for number, raw in enumerate(raw_rows, start=2):
            cells = {str(k).strip().lower(): str(v).strip() for k, v in raw.items() if v is not None}
            row_type = cells.get("type") or cells.get("command") or ""
            name = cells.get("name") or cells.get("tag") or cells.get("value") or ""
            if row_type and not _STRUCTURAL_ROW.match(row_type):
                disabled = cells.get("disabled", "").lower() in _TRUTHY
                self.rows[number] = _Row(number, row_type, name, disabled)
        self.taken: set[int] = set()

    def take(self, name: str, element_type: str) -> _Row | None:
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

    def left_over(self) -> list[_Row]:
        return [row for number, row in self.rows.items() if number not in self.taken]


class _Languages:
    """Which of the form's languages become ours (fr, nl, en), and where missing texts come from."""

    def __init__(self, form: dict[str, Any], warn: Callable[[str, str], None]) -> None:
        self.warn = warn
        self.untranslated = str(form.get("default_language") or _UNTRANSLATED)
        keys = list(dict.fromkeys(_text_keys(form, self.untranslated)))
        self.sources: dict[str, str] = {}
        for key in keys:
            code = _language_code(key)
            if code is not None and code not in self.sources:
                self.sources[code] = key
        if not self.sources and keys:
            key = self.untranslated if self.untranslated in keys else keys[0]
            self.sources["en"] = key
            what = "have no language" if key == _UNTRANSLATED else f'are in "{key}" only'
            warn("languages", f"the form's texts {what}: they were imported as English (en)")
        elif _UNTRANSLATED in keys and "en" not in self.sources:
            # A plain "label" column next to translated ones is the form's unnamed default language.
            self.sources["en"] = _UNTRANSLATED
            warn("languages", "the texts without a language were imported as English (en)")
        for key in keys:
            if key not in self.sources.values() and key != _UNTRANSLATED:
                warn("languages", f'"{key}" is not one of fr, nl, en: its texts were dropped')
        self.codes: tuple[str, ...] = tuple(c for c in LANGUAGES if c in self.sources) or ("en",)
        by_key = {key: code for code, key in self.sources.items()}
        self.default = by_key.get(self.untranslated) or next(
            (by_key[k] for k in keys if k in by_key), self.codes[0]
        )
        preferred = [self.sources.get(self.default, ""), self.untranslated, _UNTRANSLATED]
        self.ours = list(dict.fromkeys([*preferred, *(self.sources[c] for c in self.codes)]))
        self.fallbacks = list(dict.fromkeys([*self.ours, *keys]))

    def name(self, key: str) -> str:
        """How a language key is named in messages: our code when it has one."""
        return next((code for code, source in self.sources.items() if source == key), f'"{key}"')

    def question_texts(self, location: str) -> _Texts:
        return _Texts(self, location)


class _Texts:
    """The translated texts of one question; what had to be filled in is reported once."""

    def __init__(self, languages: _Languages, location: str) -> None:
        self.languages = languages
        self.location = location
        self.filled: dict[tuple[str, str], list[str]] = {}
        self.references: set[str] = set()

    def get(self, raw: Any, what: str, *, essential: bool = True) -> dict[str, str] | None:
        """Our translated text; an ``essential`` one (a label) is filled even from a dropped language."""
        values = _text_values(raw, self.languages.untranslated)
        fallbacks = self.languages.fallbacks if essential else self.languages.ours
        fallback = next((key for key in fallbacks if values.get(key)), None)
        if fallback is None:
            return None
        texts: dict[str, str] = {}
        for code in self.languages.codes:
            text = values.get(self.languages.sources.get(code, ""))
            if not text:
                text = values[fallback]
                self.filled.setdefault((code, self.languages.name(fallback)), []).append(what)
            texts[code] = text
            self.references.update(re.findall(r"\$\{\s*([^}\s]+)\s*\}", text))
        return texts

    def report(self) -> None:
        if self.filled:
            missing = "; ".join(
                f"{code} from {source} ({', '.join(dict.fromkeys(whats))})"
                for (code, source), whats in self.filled.items()
            )
            self.languages.warn(self.location, f"missing translations were filled in: {missing}")
        if self.references:
            names = ", ".join(f"${{{name}}}" for name in sorted(self.references))
            self.languages.warn(self.location, f"its text shows {names} as written: answers are not inserted")


@dataclass(slots=True)
class _Context:
    conditions: tuple[str, ...] = ()
    repeat: _Row | None = None
    repeat_kind: str = "repeat"
    imported: list[str] = field(default_factory=list)


class _Importer:
    def __init__(self, source: str, form: dict[str, Any], raw_rows: list[dict[str, Any]]) -> None:
        self.source = source
        self.form = form
        self.rows = _Rows(raw_rows)
        self.problems: list[Problem] = []
        self.languages = _Languages(form, self._warn)
        self.questions: list[dict[str, Any]] = []
        self.ids: set[str] = set()
        self.operands: dict[str, Reference] = {}
        self.dropped: dict[str, _Row] = {}
        self.names = _all_names(form.get("children", []))
        self.entities_reported = False

    def run(self) -> XlsformImport:
        self._walk(self.form.get("children", []), _Context())
        for row in self.rows.left_over():
            if row.disabled:
                self._warn(row.location, "the row is disabled; not imported")
            else:
                self._error(row.location, f"pyxform left out this '{row.type}' row; not imported")
        if not self.questions:
            self._error("survey", "no question could be imported")
        document = self._document()
        # File-wide problems first, then row by row, each row's problems in the order found.
        self.problems.sort(key=lambda p: int(m.group(1)) if (m := _ROW_NUMBER.match(p.location)) else 0)
        return XlsformImport(document, self.problems)

    def _document(self) -> dict[str, Any]:
        codes = self.languages.codes
        form_id = str(self.form.get("id_string") or "imported")
        document_id = _sanitized(form_id, allow_dash=True)
        if document_id != form_id:
            self._warn("settings", f'the form id "{form_id}" became "{document_id}"')
        version = self._version()
        self._warn("consent", "a default consent text was added; review it")
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
            "questions": self.questions,
        }

    def _version(self) -> int:
        version = str(self.form.get("version") or "").strip()
        if re.fullmatch(r"\d+", version) and 0 < int(version) <= MAX_VERSION:
            return int(version)
        if version:
            self._warn(
                "settings", f"version '{version}' is not a whole number from 1 to {MAX_VERSION}; 1 used"
            )
        else:
            self._warn("settings", "the form has no version; 1 used")
        return 1

    # -- walking the survey -------------------------------------------------------------------

    def _walk(self, children: list[dict[str, Any]], context: _Context) -> None:
        for element in children:
            name = str(element.get("name", ""))
            element_type = str(element.get("type", ""))
            row = self.rows.take(name, element_type)
            if row is None:
                self._generated(element, context)
            elif context.repeat is not None:
                where = f'{context.repeat_kind} "{context.repeat.name}" (row {context.repeat.number})'
                self._drop(row, f"it is inside {where}; not imported", name)
                self._walk(element.get("children", []), context)
            elif element_type in {"repeat", "loop"}:
                self._drop(
                    row,
                    f"{element_type}s cannot be carried: neither it nor the rows inside; not imported",
                    name,
                )
                self._walk(element.get("children", []), _Context(repeat=row, repeat_kind=element_type))
            elif element_type == "group":
                self._group(element, row, context)
            else:
                self._element(element, row, context)

    def _generated(self, element: dict[str, Any], context: _Context) -> None:
        """Elements pyxform adds on its own: meta/instanceID, table-list labels, or_other, entities."""
        if element.get("type") == "entity" and not self.entities_reported:
            self.entities_reported = True
            self._warn("entities sheet", "entities (ODK datasets) are not carried")
        elif element.get("children") and element.get("type") == "group":
            self._walk(element["children"], context)

    def _group(self, element: dict[str, Any], row: _Row, context: _Context) -> None:
        inner = _Context(context.conditions)
        relevant = str(element.get("bind", {}).get("relevant", "")).strip()
        message = f'group "{row.name}" was flattened: its questions are asked one after another'
        self._warn(row.location, message)
        condition = self._condition(relevant, row, None, None) if relevant else None
        if condition is not None:
            inner.conditions = (*context.conditions, condition)
        self._walk(element.get("children", []), inner)
        context.imported.extend(inner.imported)
        if relevant and condition is None and inner.imported:
            self._error(
                row.location, f"so these questions are shown regardless of it: {', '.join(inner.imported)}"
            )

    def _element(self, element: dict[str, Any], row: _Row, context: _Context) -> None:
        element_type = str(element.get("type", ""))
        name = row.name or str(element.get("name", ""))
        if element_type in _METADATA or element_type.startswith("uri:"):
            self._drop(
                row, f"'{row.type}' is metadata recorded by ODK's device; not imported", name, "warning"
            )
        elif element_type in _NOT_ASKED:
            self._drop(row, f"'{row.type}' asks nothing of the respondent; not imported", name, "warning")
        elif element_type in _NOT_CARRIED:
            what = _NOT_CARRIED[element_type]
            self._drop(row, f"'{row.type}' questions cannot be carried (no {what}); not imported", name)
        elif element_type in _CHOICE_TYPES or element_type in _PLAIN_TYPES or element_type == "range":
            self._question(element, row, context)
        else:
            self._drop(row, f"the type '{row.type}' cannot be carried; not imported", name)

    def _question(self, element: dict[str, Any], row: _Row, context: _Context) -> None:
        name = str(element["name"])
        bind: dict[str, Any] = element.get("bind", {})
        texts = self.languages.question_texts(row.location)
        text = texts.get(element.get("label"), "label")
        if text is None:
            self._drop(row, "it has no label text; not imported", name)
            return
        question_type = _PLAIN_TYPES.get(str(element["type"])) or _CHOICE_TYPES.get(str(element["type"]), "")
        if _flag(bind.get("readonly")) and question_type != "note":
            question_type = "note"
            self._warn(row.location, "it is read-only, so it was imported as a note")
        question: dict[str, Any] = {"id": "", "type": question_type, "text": text}
        extra: dict[str, Any] = {}
        if element["type"] in _CHOICE_TYPES and question_type != "note":
            choices = self._choices(element, row, texts)
            if choices is None:
                return
            extra["choices"] = choices
        elif element["type"] == "range":
            question["type"], bounds = self._range(element, row)
            extra.update(bounds)
        question["id"] = self._identifier(name, row)
        self._notes_on_type(element, row, str(question["type"]))
        hint = texts.get(element.get("hint"), "hint", essential=False)
        if hint is not None:
            question["hint"] = hint
        codes = tuple(c["code"] for c in extra.get("choices", []))
        self._rules(question, bind, row, context, texts, codes)
        question.update(extra)
        self.questions.append(question)
        self.ids.add(question["id"])
        context.imported.append(question["id"])
        texts.report()
        kind = _KINDS.get(str(question["type"]))
        if kind is not None:
            self.operands[name] = Reference(question["id"], kind, codes)
        if _OR_OTHER.search(row.type) and "choices" in extra:
            self._other(question, name, row, context)

    def _rules(
        self,
        question: dict[str, Any],
        bind: dict[str, Any],
        row: _Row,
        context: _Context,
        texts: _Texts,
        codes: tuple[str, ...],
    ) -> None:
        """``required``, ``show_if`` (the groups' conditions and the row's own) and ``constraint``."""
        name = row.name
        if question["type"] != "note":
            required = str(bind.get("required", "")).strip()
            if required.lower() not in _TRUTHY:
                question["required"] = False
            if required.lower() not in _TRUTHY | _FALSY:
                self._warn(row.location, f"required only when '{required}' in the form; imported as optional")
        conditions = list(context.conditions)
        relevant = str(bind.get("relevant", "")).strip()
        own = self._condition(relevant, row, None, name) if relevant else None
        conditions += [own] if own is not None else []
        if conditions:
            question["show_if"] = conjunction(conditions)
        kind = _KINDS.get(str(question["type"]))
        constraint = str(bind.get("constraint", "")).strip()
        if constraint and kind is not None:
            carried = self._condition(constraint, row, Reference(".", kind, codes), name, column="constraint")
            if carried is not None:
                question["constraint"] = carried
                message = texts.get(bind.get("jr:constraintMsg"), "constraint message", essential=False)
                if message is not None:
                    question["constraint_message"] = message

    def _choices(self, element: dict[str, Any], row: _Row, texts: _Texts) -> list[dict[str, Any]] | None:
        raw_choices = element.get("choices") or element.get("children") or []
        itemset = str(element.get("itemset", ""))
        if not raw_choices:
            if itemset.startswith("${"):
                where = f"the answers to {itemset}"
            else:
                where = f"the file '{itemset}'" if "." in itemset else "outside the form"
            self._drop(row, f"its choices come from {where}; not imported", str(element["name"]))
            return None
        choices: list[dict[str, Any]] = []
        for raw in raw_choices:
            code = str(raw.get("name", "")).strip()
            if any(c["code"] == code for c in choices):
                self._warn(row.location, f"the choice code '{code}' appears twice; the second was dropped")
                continue
            label = texts.get(raw.get("label"), f"choice '{code}'")
            if code == "other" and _is_generated_other(raw.get("label")):
                label = {c: OTHER_LABEL[c] for c in self.languages.codes}
            if label is None:
                self._warn(row.location, f"the choice '{code}' has no label; its code is shown instead")
                label = dict.fromkeys(self.languages.codes, code)
            choices.append({"code": code, "label": label})
        if len(choices) < 2:
            self._drop(row, "a choice question needs at least 2 choices; not imported", str(element["name"]))
            return None
        choice_filter = str(element.get("choice_filter", "")).strip()
        if choice_filter:
            self._error(
                row.location, f"choice_filter '{choice_filter}' cannot be carried: all choices are offered"
            )
        return choices

    def _range(self, element: dict[str, Any], row: _Row) -> tuple[str, dict[str, Any]]:
        parameters = element.get("parameters") or {}
        start, end, step = (
            _decimal(parameters.get(k), d) for k, d in (("start", 1), ("end", 10), ("step", 1))
        )
        low, high = min(start, end), max(start, end)
        if start > end:
            self._warn(
                row.location, f"the range runs from {start} down to {end}; imported from {low} to {high}"
            )
        if low == low.to_integral_value() and high == high.to_integral_value():
            if step != 1:
                self._warn(row.location, f"the step {step} is not carried: every whole number is accepted")
            return "scale", {"min": int(low), "max": int(high)}
        self._warn(
            row.location, f"decimal range imported as a number from {low} to {high} (step {step} lost)"
        )
        return "number", {"min": float(low), "max": float(high)}

    def _notes_on_type(self, element: dict[str, Any], row: _Row, question_type: str) -> None:
        element_type = str(element["type"])
        if element_type in {"acknowledge", "trigger"}:
            self._warn(row.location, "acknowledge was imported as a yes/no question ('OK' is yes)")
        elif element_type == "phone number":
            self._warn(row.location, "phone number was imported as text, without its format check")
        if "default" in element:
            self._warn(row.location, f"the default answer '{element['default']}' is not carried")
        if element.get("bind", {}).get("calculate"):
            self._warn(row.location, "its calculation is not carried")
        if element.get("bind", {}).get("jr:requiredMsg"):
            self._warn(row.location, "its required message is not carried (vises says it its own way)")
        if element.get("media"):
            self._warn(row.location, f"its media ({', '.join(sorted(element['media']))}) are not carried")
        if question_type == "note" and element.get("bind", {}).get("constraint"):
            self._warn(row.location, "a note has no answer to check: its constraint is not carried")

    def _other(self, question: dict[str, Any], name: str, row: _Row, context: _Context) -> None:
        other_name = f"{name}_other"
        other_id = self._identifier(other_name, row)
        selected = (
            f"{question['id']} = 'other'"
            if question["type"] == "single_choice"
            else f"selected({question['id']}, 'other')"
        )
        condition = conjunction([question["show_if"], selected]) if "show_if" in question else selected
        self.questions.append(
            {
                "id": other_id,
                "type": "text",
                "text": {c: OTHER_TEXT[c] for c in self.languages.codes},
                "required": False,
                "show_if": condition,
            }
        )
        self.ids.add(other_id)
        context.imported.append(other_id)
        self.operands[other_name] = Reference(other_id, "text")
        self._warn(row.location, f"or_other became an 'other' choice and the text question {other_id}")

    # -- conditions, ids, problems ------------------------------------------------------------

    def _condition(
        self,
        expression: str,
        row: _Row,
        dot: Reference | None,
        own_name: str | None,
        column: str = "relevant",
    ) -> str | None:
        try:
            condition = translate_expression(expression, self._resolver(own_name, dot), dot)
            parse_condition(condition)
        except (UntranslatableExpression, ConditionSyntaxError) as error:
            self._error(row.location, f"{column} expression '{expression}' cannot be carried: {error}")
            return None
        return condition

    def _resolver(self, own_name: str | None, dot: Reference | None) -> Callable[[str], Reference]:
        def resolve(name: str) -> Reference:
            if name == own_name:
                if dot is None:
                    raise UntranslatableExpression(f"'{name}' is the question itself")
                return dot
            if name in self.operands:
                return self.operands[name]
            if name in self.dropped:
                raise UntranslatableExpression(f"'{name}' (row {self.dropped[name].number}) was not imported")
            if name in self.names:
                raise UntranslatableExpression(f"'{name}' comes later, or has no answer")
            raise UntranslatableExpression(f"'{name}' is not a question of the form")

        return resolve

    def _identifier(self, name: str, row: _Row) -> str:
        base = _sanitized(name, allow_dash=False)
        if base in KEYWORDS:
            base += "_q"
        candidate, number = base, 2
        while candidate in self.ids:
            candidate, number = f"{base}_{number}", number + 1
        if candidate != name:
            self._warn(row.location, f'the id "{candidate}" is used for the name "{name}"')
        return candidate

    def _drop(self, row: _Row, message: str, name: str, severity: Severity = "error") -> None:
        self.dropped[name] = row
        self._problem(row.location, message, severity)

    def _problem(self, location: str, message: str, severity: Severity) -> None:
        self.problems.append(Problem(self.source, location, message, severity))

    def _warn(self, location: str, message: str) -> None:
        self._problem(location, message, "warning")

    def _error(self, location: str, message: str) -> None:
        self._problem(location, message, "error")


def _sanitized(name: str, *, allow_dash: bool) -> str:
    """``name`` reduced to ``[A-Za-z][A-Za-z0-9_]*`` (with ``-`` too for document ids)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9_-]+" if allow_dash else r"[^A-Za-z0-9_]+", "_", ascii_name)
    if not cleaned[:1].isalpha():
        cleaned = "q" + cleaned if cleaned.startswith("_") else "q_" + cleaned
    return cleaned.rstrip("_") or "q"


def _all_names(children: list[dict[str, Any]]) -> set[str]:
    names: set[str] = set()
    for element in children:
        names.add(str(element.get("name", "")))
        if element.get("type") in {"group", "repeat", "loop"}:
            names |= _all_names(element.get("children", []))
    return names


def _flag(value: Any) -> bool:
    return str(value or "").strip().lower() in _TRUTHY


def _decimal(value: Any, default: int) -> Decimal:
    try:
        return Decimal(str(value).strip()) if value not in {None, ""} else Decimal(default)
    except InvalidOperation:
        return Decimal(default)


def _is_generated_other(label: Any) -> bool:
    values = label.values() if isinstance(label, dict) else [label]
    return all(v == "Other" for v in values)


def _language_code(key: str) -> str | None:
    """fr, nl or en for a language header such as "French (fr)", "Nederlands" or "EN"."""
    match = _LANGUAGE_WITH_CODE.fullmatch(key)
    if match is not None:
        return _LANGUAGE_NAMES.get(match.group(1).lower())
    plain = unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode().strip().lower()
    return _LANGUAGE_NAMES.get(plain)


def _text_values(raw: Any, untranslated: str) -> dict[str, str]:
    """A pyxform text (a string, or a dict keyed by language) as a dict of non-empty strings."""
    if isinstance(raw, dict):
        return {str(k): str(v).strip() for k, v in raw.items() if isinstance(v, str | int | float)}
    if isinstance(raw, str | int | float) and str(raw).strip():
        return {untranslated: str(raw).strip()}
    return {}


def _text_keys(form: dict[str, Any], untranslated: str) -> list[str]:
    """Every language key of the form's texts, in the order they first appear."""
    keys: list[str] = []

    def add(raw: Any) -> None:
        keys.extend(key for key, text in _text_values(raw, untranslated).items() if text)

    def visit(elements: list[dict[str, Any]]) -> None:
        for element in elements:
            add(element.get("label"))
            add(element.get("hint"))
            add(element.get("bind", {}).get("jr:constraintMsg"))
            for choice in element.get("choices") or []:
                add(choice.get("label"))
            if element.get("type") in {"group", "repeat", "loop"}:
                visit(element.get("children", []))

    visit(form.get("children", []))
    return keys
