"""Survey elements of an XLSForm turned into our questions, with their rules, choices and conditions.

A condition may only use the questions imported before it, so the conversion keeps what each XLSForm
name became (an operand for the expression translator) and which names were not imported and why, to
say so when a condition refers to one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from questionnaires.condition_parser import KEYWORDS, ConditionSyntaxError, parse_condition
from questionnaires.folding import ascii_fold
from questionnaires.problems import ProblemReport, Severity
from questionnaires.xlsform_expressions import (
    Reference,
    Resolver,
    UntranslatableExpression,
    conjunction,
    read_decimal,
    translate_expression,
)
from questionnaires.xlsform_languages import Languages, Texts
from questionnaires.xlsform_rows import ANSWER_KINDS, OR_OTHER, PLAIN_TYPES, SELECT_TYPES, Row, flag, is_flag

OTHER_LABEL: Mapping[str, str] = {"fr": "Autre", "nl": "Andere", "en": "Other"}
OTHER_TEXT: Mapping[str, str] = {"fr": "Précisez :", "nl": "Welke andere?", "en": "Please specify:"}


@dataclass(slots=True)
class Context:
    """Where an element sits: the conditions of its groups, the repeat it is in, what was imported."""

    conditions: tuple[str, ...] = ()
    repeat: Row | None = None
    repeat_kind: str = "repeat"
    imported: list[str] = field(default_factory=list)


class ImportedQuestions:
    """The questions imported so far, in our format, and what each XLSForm name became.

    ``names`` holds every name in the form, to tell a condition's reference to a later question from one
    to no question at all.
    """

    def __init__(self, report: ProblemReport, languages: Languages, names: set[str]) -> None:
        self.report = report
        self.languages = languages
        self.names = names
        self.questions: list[dict[str, Any]] = []
        self.ids: set[str] = set()
        self.operands: dict[str, Reference] = {}
        self.dropped: dict[str, Row] = {}

    def add(self, element: dict[str, Any], row: Row, context: Context) -> None:
        """Import one question element (and the "other" text question an or_other select brings)."""
        name = str(element["name"])
        bind: dict[str, Any] = element.get("bind", {})
        texts = self.languages.question_texts(row.location)
        text = texts.get(element.get("label"), "label")
        if text is None:
            self.drop(row, "it has no label text; not imported", name)
            return
        question_type = PLAIN_TYPES.get(str(element["type"])) or SELECT_TYPES.get(str(element["type"]), "")
        if flag(bind.get("readonly")) and question_type != "note":
            question_type = "note"
            self.report.warn(row.location, "it is read-only, so it was imported as a note")
        question: dict[str, Any] = {"id": "", "type": question_type, "text": text}
        extra: dict[str, Any] = {}
        if element["type"] in SELECT_TYPES and question_type != "note":
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
        kind = ANSWER_KINDS.get(str(question["type"]))
        if kind is not None:
            self.operands[name] = Reference(question["id"], kind, codes)
        if OR_OTHER.search(row.type) and "choices" in extra:
            self._other(question, name, row, context)

    def _rules(
        self,
        question: dict[str, Any],
        bind: dict[str, Any],
        row: Row,
        context: Context,
        texts: Texts,
        codes: tuple[str, ...],
    ) -> None:
        """``required``, ``show_if`` (the groups' conditions and the row's own) and ``constraint``."""
        name = row.name
        if question["type"] != "note":
            required = str(bind.get("required", "")).strip()
            if not flag(required):
                question["required"] = False
            if not is_flag(required):
                self.report.warn(
                    row.location, f"required only when '{required}' in the form; imported as optional"
                )
        conditions = list(context.conditions)
        relevant = str(bind.get("relevant", "")).strip()
        own = self.condition(relevant, row, None, name) if relevant else None
        conditions += [own] if own is not None else []
        if conditions:
            question["show_if"] = conjunction(conditions)
        kind = ANSWER_KINDS.get(str(question["type"]))
        constraint = str(bind.get("constraint", "")).strip()
        if constraint and kind is not None:
            carried = self.condition(constraint, row, Reference(".", kind, codes), name, column="constraint")
            if carried is not None:
                question["constraint"] = carried
                message = texts.get(bind.get("jr:constraintMsg"), "constraint message", essential=False)
                if message is not None:
                    question["constraint_message"] = message

    def _choices(self, element: dict[str, Any], row: Row, texts: Texts) -> list[dict[str, Any]] | None:
        raw_choices = element.get("choices") or element.get("children") or []
        itemset = str(element.get("itemset", ""))
        if not raw_choices:
            if itemset.startswith("${"):
                where = f"the answers to {itemset}"
            else:
                where = f"the file '{itemset}'" if "." in itemset else "outside the form"
            self.drop(row, f"its choices come from {where}; not imported", str(element["name"]))
            return None
        choices: list[dict[str, Any]] = []
        for raw in raw_choices:
            code = str(raw.get("name", "")).strip()
            if any(c["code"] == code for c in choices):
                self.report.warn(
                    row.location, f"the choice code '{code}' appears twice; the second was dropped"
                )
                continue
            label = texts.get(raw.get("label"), f"choice '{code}'")
            if code == "other" and _is_generated_other(raw.get("label")):
                label = {c: OTHER_LABEL[c] for c in self.languages.codes}
            if label is None:
                self.report.warn(row.location, f"the choice '{code}' has no label; its code is shown instead")
                label = dict.fromkeys(self.languages.codes, code)
            choices.append({"code": code, "label": label})
        if len(choices) < 2:
            self.drop(row, "a choice question needs at least 2 choices; not imported", str(element["name"]))
            return None
        choice_filter = str(element.get("choice_filter", "")).strip()
        if choice_filter:
            self.report.error(
                row.location, f"choice_filter '{choice_filter}' cannot be carried: all choices are offered"
            )
        return choices

    def _range(self, element: dict[str, Any], row: Row) -> tuple[str, dict[str, Any]]:
        parameters = element.get("parameters") or {}
        start, end, step = (
            _decimal(parameters.get(k), d) for k, d in (("start", 1), ("end", 10), ("step", 1))
        )
        low, high = min(start, end), max(start, end)
        if start > end:
            self.report.warn(
                row.location, f"the range runs from {start} down to {end}; imported from {low} to {high}"
            )
        if low == low.to_integral_value() and high == high.to_integral_value():
            if step != 1:
                self.report.warn(
                    row.location, f"the step {step} is not carried: every whole number is accepted"
                )
            return "scale", {"min": int(low), "max": int(high)}
        self.report.warn(
            row.location, f"decimal range imported as a number from {low} to {high} (step {step} lost)"
        )
        return "number", {"min": float(low), "max": float(high)}

    def _notes_on_type(self, element: dict[str, Any], row: Row, question_type: str) -> None:
        element_type = str(element["type"])
        if element_type in {"acknowledge", "trigger"}:
            self.report.warn(row.location, "acknowledge was imported as a yes/no question ('OK' is yes)")
        elif element_type == "phone number":
            self.report.warn(row.location, "phone number was imported as text, without its format check")
        if "default" in element:
            self.report.warn(row.location, f"the default answer '{element['default']}' is not carried")
        if element.get("bind", {}).get("calculate"):
            self.report.warn(row.location, "its calculation is not carried")
        if element.get("bind", {}).get("jr:requiredMsg"):
            self.report.warn(row.location, "its required message is not carried (vises says it its own way)")
        if element.get("media"):
            self.report.warn(
                row.location, f"its media ({', '.join(sorted(element['media']))}) are not carried"
            )
        if question_type == "note" and element.get("bind", {}).get("constraint"):
            self.report.warn(row.location, "a note has no answer to check: its constraint is not carried")

    def _other(self, question: dict[str, Any], name: str, row: Row, context: Context) -> None:
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
        self.report.warn(row.location, f"or_other became an 'other' choice and the text question {other_id}")

    # -- conditions, ids, dropped rows ---------------------------------------------------------

    def condition(
        self,
        expression: str,
        row: Row,
        dot: Reference | None,
        own_name: str | None,
        column: str = "relevant",
    ) -> str | None:
        """Our condition for an XLSForm expression, or None (and an error) when it can't be carried."""
        try:
            condition = translate_expression(expression, self._resolver(own_name, dot), dot)
            parse_condition(condition)
        except (UntranslatableExpression, ConditionSyntaxError) as error:
            self.report.error(row.location, f"{column} expression '{expression}' cannot be carried: {error}")
            return None
        return condition

    def _resolver(self, own_name: str | None, dot: Reference | None) -> Resolver:
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

    def _identifier(self, name: str, row: Row) -> str:
        base = sanitized(name, allow_dash=False)
        if base in KEYWORDS:
            base += "_q"
        candidate, number = base, 2
        while candidate in self.ids:
            candidate, number = f"{base}_{number}", number + 1
        if candidate != name:
            self.report.warn(row.location, f'the id "{candidate}" is used for the name "{name}"')
        return candidate

    def drop(self, row: Row, message: str, name: str, severity: Severity = "error") -> None:
        """Leave a row out, saying why; conditions that use its name will say it was not imported."""
        self.dropped[name] = row
        self.report.add(row.location, message, severity)


def sanitized(name: str, *, allow_dash: bool) -> str:
    """``name`` reduced to ``[A-Za-z][A-Za-z0-9_]*`` (with ``-`` too for document ids)."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]+" if allow_dash else r"[^A-Za-z0-9_]+", "_", ascii_fold(name))
    if not cleaned[:1].isalpha():
        cleaned = "q" + cleaned if cleaned.startswith("_") else "q_" + cleaned
    return cleaned.rstrip("_") or "q"


def _decimal(value: Any, default: int) -> Decimal:
    number = None if value is None else read_decimal(str(value))
    return Decimal(default) if number is None else number


def _is_generated_other(label: Any) -> bool:
    values = label.values() if isinstance(label, dict) else [label]
    return all(v == "Other" for v in values)
