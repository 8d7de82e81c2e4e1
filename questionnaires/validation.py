"""Every check of a definition, reported together: shape, translations, references, skip logic, indicators.

Errors make a definition unusable; warnings (from ``channel_checks``) point at what will work badly on a
channel, such as an SMS that needs two segments. Each problem names the file, the place
(``question A1``, ``indicator recommend``, ``consent``, or a field) and what is wrong.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from marshmallow import ValidationError

from questionnaires.channel_checks import check_channels
from questionnaires.conditions import (
    KEYWORDS,
    AnswerOf,
    Comparison,
    Condition,
    ConditionSyntaxError,
    Constant,
    Count,
    CurrentAnswer,
    Length,
    Membership,
    Selected,
    nodes,
    parse_condition,
    references,
    uses_current,
)
from questionnaires.documents import read_yaml
from questionnaires.model import (
    CHOICE_TYPES,
    Indicator,
    IndicatorMethod,
    Question,
    Questionnaire,
    QuestionType,
    Translated,
)
from questionnaires.problems import DefinitionError, Problem
from questionnaires.replies import option_keys
from questionnaires.schema import FIELD_NAMES, IndicatorSchema, QuestionnaireSchema, QuestionSchema

NUMERIC_TYPES = frozenset({QuestionType.SCALE, QuestionType.INTEGER, QuestionType.NUMBER})


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """The outcome of validating one definition: the questionnaire when usable, errors, warnings."""

    questionnaire: Questionnaire | None
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.questionnaire is not None and not self.errors


# --- marshmallow messages to problems -----------------------------------------------------------------

_FRIENDLIER = {
    "Missing data for required field.": "is required",
    "Unknown field.": "is not a known field",
    "Not a valid string.": "must be text",
    "Not a valid integer.": "must be a whole number",
    "Not a valid boolean.": "must be true or false",
    "Not a valid list.": "must be a list",
    "Invalid input type.": "must be a mapping (field: value)",
    "Invalid type.": "must be a mapping (field: value)",
    "Field may not be null.": "is empty",
}


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


def _schema_problems(messages: object, doc: Mapping[str, Any], source: str) -> list[Problem]:
    problems = []
    for path, text in _flatten(messages):
        message = _FRIENDLIER.get(text, text)
        if message == "is not a known field" and path and isinstance(path[-1], str):
            close = difflib.get_close_matches(path[-1], sorted(FIELD_NAMES), n=1, cutoff=0.7)
            if close:
                message += f" (did you mean {close[0]}?)"
        kinds = {"questions": "question", "indicators": "indicator"}
        if len(path) >= 2 and path[0] in kinds and isinstance(path[1], int):
            location = _item_name(kinds[str(path[0])], doc.get(str(path[0])), path[1])
            rest = path[2:]
        elif path and path[0] == "consent":
            location, rest = "consent", path[1:]
        else:
            location, rest = _field_path(path), ()
        where = _field_path(rest)
        problems.append(Problem(source, location, f"{where}: {message}" if where else message))
    return problems


# --- the parts of a document that loaded --------------------------------------------------------------


@dataclass
class _Draft:
    """What could be read of a document, so that cross-checks run even when some parts failed."""

    source: str
    languages: tuple[str, ...] | None
    default_language: str | None
    texts: list[tuple[str, str, Translated]]
    questions: list[Question]
    question_ids: list[str]
    indicators: list[Indicator]

    @classmethod
    def of(cls, q: Questionnaire, source: str) -> _Draft:
        return cls(
            source=source,
            languages=q.languages,
            default_language=q.default_language,
            texts=_header_texts(q.title, q.intro, q.thanks, q.consent.text),
            questions=list(q.questions),
            question_ids=[question.id for question in q.questions],
            indicators=list(q.indicators),
        )

    @classmethod
    def salvage(cls, doc: Mapping[str, Any], valid: Mapping[str, Any], source: str) -> _Draft:
        languages = valid.get("languages")
        consent = valid.get("consent")
        raw_questions = doc.get("questions")
        raw_indicators = doc.get("indicators")
        return cls(
            source=source,
            languages=tuple(languages) if isinstance(languages, list) else None,
            default_language=valid.get("default_language"),
            texts=_header_texts(
                valid.get("title"),
                valid.get("intro"),
                valid.get("thanks"),
                getattr(consent, "text", None),
            ),
            questions=_loadable(QuestionSchema, raw_questions),
            question_ids=[
                item["id"]
                for item in (raw_questions if isinstance(raw_questions, list) else [])
                if isinstance(item, Mapping) and isinstance(item.get("id"), str)
            ],
            indicators=_loadable(IndicatorSchema, raw_indicators),
        )


def _header_texts(
    title: Translated | None, intro: Translated | None, thanks: Translated | None, consent: Translated | None
) -> list[tuple[str, str, Translated]]:
    named = (("title", "", title), ("intro", "", intro), ("thanks", "", thanks), ("consent", "text", consent))
    return [(location, name, text) for location, name, text in named if text]


_DROPPABLE = frozenset(
    {"hint", "min_label", "max_label", "max_length", "constraint_message", "required"}
    | {"description", "source", "min_n", "rescale"}
)
"""Optional fields whose absence can't cause another error, dropped to check the rest of an item."""


def _loadable(schema: type[QuestionSchema] | type[IndicatorSchema], items: object) -> list[Any]:
    """The items that load, retrying each without its unknown or broken optional fields."""
    loaded = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping):
            continue
        try:
            loaded.append(schema().load(item))
        except ValidationError as exc:
            failed = set(exc.messages) if isinstance(exc.messages, Mapping) else set()
            known = {f.data_key or name for name, f in schema().load_fields.items()}
            dropped = {key for key in failed if key in _DROPPABLE or key not in known}
            if dropped and dropped == failed:
                try:
                    loaded.append(schema().load({k: v for k, v in item.items() if k not in dropped}))
                except ValidationError:
                    continue
    return loaded


# --- cross-checks -------------------------------------------------------------------------------------


class _Checker:
    def __init__(self, draft: _Draft) -> None:
        self.draft = draft
        self.problems: list[Problem] = []
        self.known_ids = set(draft.question_ids)
        self.by_id: dict[str, Question] = {}
        for question in draft.questions:
            self.by_id.setdefault(question.id, question)
        self.order = {qid: i for i, qid in reversed(list(enumerate(draft.question_ids)))}

    def report(self, location: str, message: str) -> None:
        self.problems.append(Problem(self.draft.source, location, message))

    def run(self) -> list[Problem]:
        self.header()
        for location, name, text in self.draft.texts:
            self.translations(location, name, text)
        self.duplicate_questions()
        for question in self.draft.questions:
            self.question(question)
        self.cycles()
        seen: set[str] = set()
        for indicator in self.draft.indicators:
            if indicator.id in seen:
                self.report(f"indicator {indicator.id}", "another indicator has the same id")
            seen.add(indicator.id)
            self.indicator(indicator)
        return self.problems

    # header and texts

    def header(self) -> None:
        languages, default = self.draft.languages, self.draft.default_language
        if languages is None:
            return
        repeated = sorted({lang for lang in languages if languages.count(lang) > 1})
        if repeated:
            self.report("languages", f"{', '.join(repeated)} listed more than once")
        if default is not None and default not in languages:
            self.report(
                "default_language", f"{default!r} is not one of the languages ({', '.join(languages)})"
            )

    def translations(self, location: str, name: str, text: Translated | None) -> None:
        if text is None or self.draft.languages is None:
            return
        missing = [lang for lang in self.draft.languages if lang not in text]
        if missing:
            where = f"{name}: " if name else ""
            self.report(location, f"{where}no {', '.join(missing)} translation")

    # questions

    def duplicate_questions(self) -> None:
        first: dict[str, int] = {}
        for index, qid in enumerate(self.draft.question_ids):
            if qid in first:
                self.report(f"question {qid}", f"the id is already used by question #{first[qid] + 1}")
            else:
                first[qid] = index

    def question(self, q: Question) -> None:
        where = f"question {q.id}"
        if q.id in KEYWORDS:
            self.report(where, f"{q.id!r} is a word of the condition language and can't be a question id")
        for name, text in (
            ("text", q.text),
            ("hint", q.hint),
            ("min_label", q.min_label),
            ("max_label", q.max_label),
            ("constraint_message", q.constraint_message),
        ):
            self.translations(where, name, text)
        for choice in q.choices:
            self.translations(where, f"choice {choice.code!r} label", choice.label)
        self.fields_fit_type(q, where)
        self.choices(q, where)
        self.bounds(q, where)
        if q.show_if_source is not None:
            self.condition(q, where, "show_if", q.show_if_source)
        if q.constraint_source is not None:
            self.condition(q, where, "constraint", q.constraint_source)
        elif q.constraint_message is not None:
            self.report(where, "constraint_message is given without a constraint")

    def fields_fit_type(self, q: Question, where: str) -> None:
        given = {
            "choices": bool(q.choices),
            "min": q.minimum is not None,
            "max": q.maximum is not None,
            "min_label": q.min_label is not None,
            "max_label": q.max_label is not None,
            "max_length": q.max_length is not None,
            "constraint": q.constraint_source is not None,
        }
        fitting = {
            "choices": CHOICE_TYPES,
            "min": NUMERIC_TYPES,
            "max": NUMERIC_TYPES,
            "min_label": {QuestionType.SCALE},
            "max_label": {QuestionType.SCALE},
            "max_length": {QuestionType.TEXT},
            "constraint": set(QuestionType) - {QuestionType.NOTE},
        }
        for name, is_given in given.items():
            if is_given and q.type not in fitting[name]:
                self.report(where, f"{name} does not apply to a {q.type.value} question")

    def choices(self, q: Question, where: str) -> None:
        if q.type not in CHOICE_TYPES:
            return
        if len(q.choices) < 2:
            self.report(where, f"a {q.type.value} question needs at least 2 choices")
        codes = [c.code for c in q.choices]
        repeated = sorted({code for code in codes if codes.count(code) > 1})
        if repeated:
            self.report(where, f"choice code {', '.join(map(repr, repeated))} is used more than once")

    def bounds(self, q: Question, where: str) -> None:
        low, high = q.minimum, q.maximum
        if q.type is QuestionType.SCALE and (low is None or high is None):
            self.report(where, "a scale needs min and max")
        if q.type in (QuestionType.SCALE, QuestionType.INTEGER):
            for name, value in (("min", low), ("max", high)):
                if value is not None and not isinstance(value, int):
                    self.report(where, f"{name} must be a whole number for a {q.type.value} question")
        if low is not None and high is not None:
            if low > high:
                self.report(where, f"min ({low:g}) is greater than max ({high:g})")
            elif low == high and q.type is QuestionType.SCALE:
                self.report(where, "a scale needs min below max")

    # conditions

    def condition(self, q: Question, where: str, name: str, source: str) -> None:
        try:
            cond = parse_condition(source)
        except ConditionSyntaxError as exc:
            self.report(where, f"{name} {source!r}: {exc}")
            return
        if name == "show_if" and uses_current(cond):
            self.report(where, "show_if can't use '.' (it only means something in a constraint)")
        for ref in sorted(references(cond)):
            self.reference(q, where, name, ref)
        self.condition_values(q, where, name, cond)

    def reference(self, q: Question, where: str, name: str, ref: str) -> None:
        if ref not in self.known_ids:
            close = difflib.get_close_matches(ref, sorted(self.known_ids), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            self.report(where, f"{name} refers to {ref}, which is not a question{hint}")
        elif ref == q.id:
            hint = "use '.' for the answer being checked" if name == "constraint" else "that is a cycle"
            self.report(where, f"{name} refers to the question itself ({hint})")
        elif self.order[ref] > self.order.get(q.id, -1):
            self.report(
                where,
                f"{name} refers to {ref}, which comes later (a condition may only use earlier questions)",
            )
        elif ref in self.by_id and not self.by_id[ref].answerable:
            self.report(where, f"{name} refers to {ref}, a note, which has no answer")

    def target_type(self, q: Question, target: AnswerOf | CurrentAnswer) -> Question | None:
        if isinstance(target, CurrentAnswer):
            return q
        return self.by_id.get(target.question_id)

    def condition_values(self, q: Question, where: str, name: str, cond: Condition) -> None:
        for node in nodes(cond):
            if isinstance(node, Selected | Count | Length):
                target = self.target_type(q, node.target)
                if target is None:
                    continue
                function = {Selected: "selected", Count: "count", Length: "length"}[type(node)]
                fits = (
                    target.type is QuestionType.TEXT
                    if isinstance(node, Length)
                    else bool(option_keys(target))
                )
                if not fits:
                    self.report(
                        where, f"{name}: {function}() does not apply to {target.id}, a {target.type.value}"
                    )
                elif isinstance(node, Selected):
                    self.known_code(where, name, target, node.code)
            elif isinstance(node, Comparison | Membership):
                operands = (node.left, node.right) if isinstance(node, Comparison) else (node.operand,)
                values = (
                    [o.value for o in operands if isinstance(o, Constant)]
                    if isinstance(node, Comparison)
                    else list(node.values)
                )
                for operand in operands:
                    if isinstance(operand, AnswerOf | CurrentAnswer):
                        target = self.target_type(q, operand)
                        if (
                            target is not None
                            and option_keys(target)
                            and (isinstance(node, Membership) or node.op in ("=", "!="))
                        ):
                            for value in values:
                                self.known_code(where, name, target, value)

    def known_code(self, where: str, name: str, target: Question, value: object) -> None:
        codes = [choice.code for _, choice in option_keys(target)]
        code = str(value) if not isinstance(value, float) or not value.is_integer() else str(int(value))
        if code not in codes:
            listed = ", ".join(repr(c) for c in codes)
            self.report(where, f"{name}: {target.id} has no choice {code!r} (its codes: {listed})")

    def cycles(self) -> None:
        graph = {
            q.id: sorted(ref for ref in references(q.show_if) if ref != q.id and ref in self.by_id)
            for q in self.draft.questions
            if q.show_if is not None
        }
        reported: set[frozenset[str]] = set()
        for start in sorted(graph):
            path = self.cycle_from(graph, start, [start])
            if path is not None and frozenset(path) not in reported:
                reported.add(frozenset(path))
                self.report(f"question {start}", f"show_if conditions form a cycle: {' -> '.join(path)}")

    def cycle_from(self, graph: dict[str, list[str]], start: str, path: list[str]) -> list[str] | None:
        for ref in graph.get(path[-1], []):
            if ref == start:
                return [*path, start]
            if ref not in path:
                found = self.cycle_from(graph, start, [*path, ref])
                if found is not None:
                    return found
        return None

    # indicators

    def indicator(self, ind: Indicator) -> None:
        where = f"indicator {ind.id}"
        self.translations(where, "title", ind.title)
        self.translations(where, "description", ind.description)
        for band in ind.bands:
            self.translations(where, f"band {band.id} label", band.label)
        method = ind.method
        given = {
            "codes": (bool(ind.codes), {IndicatorMethod.SHARE}),
            "exclude": (bool(ind.exclude), {IndicatorMethod.SHARE, IndicatorMethod.MEAN}),
            "rescale": (ind.rescale, {IndicatorMethod.MEAN}),
            "reverse": (bool(ind.reverse), {IndicatorMethod.MEAN}),
            "multiplier": (ind.multiplier != 1.0, {IndicatorMethod.SUM}),
            "bands": (bool(ind.bands), {IndicatorMethod.BANDS}),
        }
        for name, (is_given, methods) in given.items():
            if is_given and method not in methods:
                self.report(where, f"{name} does not apply to the {method.value} method")
        single = method in (IndicatorMethod.SHARE, IndicatorMethod.RECOMMEND, IndicatorMethod.BANDS)
        if single and len(ind.questions) != 1:
            self.report(where, f"the {method.value} method takes one question")
        items: list[Question] = []
        for qid in ind.questions:
            if qid not in self.known_ids:
                self.report(where, f"refers to {qid}, which is not a question")
            elif qid in self.by_id:
                if not self.by_id[qid].answerable:
                    self.report(where, f"refers to {qid}, a note, which has no answer")
                else:
                    items.append(self.by_id[qid])
        if len(items) == len(ind.questions):
            {
                IndicatorMethod.SHARE: self.share,
                IndicatorMethod.MEAN: self.mean,
                IndicatorMethod.SUM: self.total,
                IndicatorMethod.RECOMMEND: self.recommend,
                IndicatorMethod.BANDS: self.bands,
            }[method](ind, where, items)

    def share(self, ind: Indicator, where: str, items: list[Question]) -> None:
        if not ind.codes:
            self.report(where, "share needs codes: the answers that count")
        for question in items[:1]:
            for name, codes in (("codes", ind.codes), ("exclude", ind.exclude)):
                for code in codes:
                    if not _possible_answer(question, code):
                        self.report(where, f"{name}: {code!r} is not a possible answer to {question.id}")

    def numeric_items(self, ind: Indicator, where: str, items: list[Question]) -> None:
        for question in items:
            if _numeric_range(question, ind.exclude) is None and question.type not in NUMERIC_TYPES:
                self.report(
                    where,
                    f"{ind.method.value} needs numeric answers; {question.id} is a {question.type.value}"
                    " question without numeric codes",
                )

    def mean(self, ind: Indicator, where: str, items: list[Question]) -> None:
        self.numeric_items(ind, where, items)
        for qid in ind.reverse:
            if qid not in ind.questions:
                self.report(where, f"reverse: {qid} is not one of the indicator's questions")
        for question in items:
            flipped = question.id in ind.reverse
            if (flipped or ind.rescale) and _numeric_range(question, ind.exclude) is None:
                why = "reversed" if flipped else "rescaled"
                self.report(where, f"{question.id} can't be {why}: it has no min and max")

    def total(self, ind: Indicator, where: str, items: list[Question]) -> None:
        self.numeric_items(ind, where, items)

    def recommend(self, ind: Indicator, where: str, items: list[Question]) -> None:
        for question in items[:1]:
            if question.type is not QuestionType.SCALE or (question.minimum, question.maximum) != (0, 10):
                self.report(where, f"recommend needs a 0-10 scale; {question.id} is not one")

    def bands(self, ind: Indicator, where: str, items: list[Question]) -> None:
        for question in items[:1]:
            if question.type not in NUMERIC_TYPES:
                self.report(where, f"bands need a numeric question; {question.id} is a {question.type.value}")
        if not ind.bands:
            self.report(where, "the bands method needs bands")
        ids = [band.id for band in ind.bands]
        for band in ind.bands:
            if ids.count(band.id) > 1:
                self.report(where, f"band id {band.id!r} is used more than once")
            if band.minimum > band.maximum:
                self.report(where, f"band {band.id}: min is greater than max")
        ordered = sorted(ind.bands, key=lambda b: (b.minimum, b.maximum))
        for before, after in itertools.pairwise(ordered):
            if after.minimum <= before.maximum:
                self.report(where, f"bands {before.id} and {after.id} overlap")


def _numeric_range(question: Question, exclude: Sequence[str]) -> tuple[float, float] | None:
    """The lowest and highest numeric answer, for scales and for choices whose codes are numbers."""
    if question.minimum is not None and question.maximum is not None and question.type in NUMERIC_TYPES:
        return question.minimum, question.maximum
    if question.type is QuestionType.SINGLE_CHOICE:
        values = []
        for choice in question.choices:
            if choice.code in exclude:
                continue
            try:
                values.append(float(choice.code))
            except ValueError:
                return None
        if values:
            return min(values), max(values)
    return None


def _possible_answer(question: Question, code: str) -> bool:
    keyed = option_keys(question)
    if keyed:
        return code in {choice.code for _, choice in keyed}
    if question.type not in NUMERIC_TYPES:
        return False
    try:
        value = float(code)
    except ValueError:
        return False
    if question.type in (QuestionType.SCALE, QuestionType.INTEGER) and not value.is_integer():
        return False
    low, high = question.minimum, question.maximum
    return (low is None or value >= low) and (high is None or value <= high)


# --- entry points -------------------------------------------------------------------------------------


def check_document(doc: object, source: str = "<document>") -> tuple[Questionnaire | None, list[Problem]]:
    """The questionnaire in a parsed document and every error in it (the questionnaire is None if any)."""
    if doc is None:
        return None, [Problem(source, "", "the definition is empty")]
    if not isinstance(doc, Mapping):
        return None, [Problem(source, "", "a definition must be a mapping (id:, version:, questions: ...)")]
    problems: list[Problem] = []
    questionnaire: Questionnaire | None = None
    try:
        questionnaire = QuestionnaireSchema().load(doc)
    except ValidationError as exc:
        problems.extend(_schema_problems(exc.messages, doc, source))
        valid = exc.valid_data if isinstance(exc.valid_data, Mapping) else {}
        draft = _Draft.salvage(doc, valid, source)
    else:
        draft = _Draft.of(questionnaire, source)
    problems.extend(_Checker(draft).run())
    return (None, problems) if problems else (questionnaire, [])


def validate_document(
    doc: object,
    source: str = "<document>",
    *,
    org_name_length: int = 20,
    transliterate: bool = False,
) -> ValidationReport:
    """Errors and channel warnings for a parsed document, as ``vises questionnaire validate`` shows them."""
    questionnaire, errors = check_document(doc, source)
    if questionnaire is None:
        return ValidationReport(None, errors, [])
    warnings = check_channels(questionnaire, org_name_length=org_name_length, transliterate=transliterate)
    return ValidationReport(questionnaire, [], [replace(w, source=source) for w in warnings])


def validate_file(
    path: str | Path, *, org_name_length: int = 20, transliterate: bool = False
) -> ValidationReport:
    """Errors and channel warnings for a definition file."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
        doc = read_yaml(text, source)
    except OSError as exc:
        return ValidationReport(None, [Problem(source, "", f"can't be read: {exc.strerror or exc}")])
    except UnicodeDecodeError:
        return ValidationReport(None, [Problem(source, "", "is not UTF-8 text")])
    except DefinitionError as exc:
        return ValidationReport(None, list(exc.problems))
    return validate_document(doc, source, org_name_length=org_name_length, transliterate=transliterate)
