"""Cross-checks of a definition's header and questions, beyond what each field says on its own.

The languages and every text's translations, unique question ids, the fields each question type takes,
choices and bounds, and conditions: their syntax, the questions they refer to (existing, earlier,
answerable), the choice codes they compare with, and cycles among ``show_if`` conditions.
"""

from __future__ import annotations

import difflib

from questionnaires.choice_replies import option_keys
from questionnaires.condition_parser import KEYWORDS, ConditionSyntaxError, parse_condition
from questionnaires.condition_tree import (
    AnswerOf,
    Comparison,
    Condition,
    Constant,
    Count,
    CurrentAnswer,
    Length,
    Membership,
    Scalar,
    Selected,
    nodes,
    references,
    uses_current,
)
from questionnaires.drafts import DraftChecks
from questionnaires.model import (
    CHOICE_TYPES,
    NUMERIC_TYPES,
    WHOLE_NUMBER_TYPES,
    Question,
    QuestionType,
    as_code,
)


class QuestionChecks(DraftChecks):
    """The checks of a draft's header and questions, in the order an author reads the document."""

    def run(self) -> None:
        self.header()
        for location, name, text in self.draft.texts:
            self.translations(location, name, text)
        self.duplicate_questions()
        for question in self.draft.questions:
            self.question(question)
        self.cycles()

    # header

    def header(self) -> None:
        languages, default = self.draft.languages, self.draft.default_language
        if languages is None:
            return
        repeated = sorted({lang for lang in languages if languages.count(lang) > 1})
        if repeated:
            self.report.error("languages", f"{', '.join(repeated)} listed more than once")
        if default is not None and default not in languages:
            self.report.error(
                "default_language", f"{default!r} is not one of the languages ({', '.join(languages)})"
            )

    # questions

    def duplicate_questions(self) -> None:
        first: dict[str, int] = {}
        for index, qid in enumerate(self.draft.question_ids):
            if qid in first:
                self.report.coded(f"question {qid}", "duplicate-question-id", number=str(first[qid] + 1))
            else:
                first[qid] = index

    def question(self, q: Question) -> None:
        where = f"question {q.id}"
        if q.id in KEYWORDS:
            self.report.error(
                where, f"{q.id!r} is a word of the condition language and can't be a question id"
            )
        for name, text in (
            ("text", q.text),
            ("hint", q.hint),
            ("min_label", q.min_label),
            ("max_label", q.max_label),
            ("constraint_message", q.constraint_message),
        ):
            self.translations(where, name, text)
        for choice in q.choices:
            self.translations(where, "label", choice.label, choice=choice.code)
        self.fields_fit_type(q, where)
        self.choices(q, where)
        self.bounds(q, where)
        if q.show_if_source is not None:
            self.condition(q, where, "show_if", q.show_if_source)
        if q.constraint_source is not None:
            self.condition(q, where, "constraint", q.constraint_source)
        elif q.constraint_message is not None:
            self.report.error(where, "constraint_message is given without a constraint")

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
                self.report.coded(where, "field-not-for-type", field=name, type=q.type.value)

    def choices(self, q: Question, where: str) -> None:
        if q.type not in CHOICE_TYPES:
            return
        if len(q.choices) < 2:
            self.report.coded(where, "too-few-choices", type=q.type.value)
        codes = [c.code for c in q.choices]
        repeated = sorted({code for code in codes if codes.count(code) > 1})
        if repeated:
            self.report.coded(where, "duplicate-choice-code", codes=", ".join(map(repr, repeated)))

    def bounds(self, q: Question, where: str) -> None:
        low, high = q.minimum, q.maximum
        if q.type is QuestionType.SCALE and (low is None or high is None):
            self.report.coded(where, "scale-without-bounds")
        if q.type in WHOLE_NUMBER_TYPES:
            for name, value in (("min", low), ("max", high)):
                if value is not None and not isinstance(value, int):
                    self.report.coded(where, "bound-not-whole", field=name, type=q.type.value)
        if low is not None and high is not None:
            if low > high:
                self.report.coded(where, "min-above-max", min=f"{low:g}", max=f"{high:g}")
            elif low == high and q.type is QuestionType.SCALE:
                self.report.error(where, "a scale needs min below max")

    # conditions

    def condition(self, q: Question, where: str, name: str, source: str) -> None:
        try:
            cond = parse_condition(source)
        except ConditionSyntaxError as exc:
            self.report.coded(where, "bad-condition", condition=name, source=source, detail=str(exc))
            return
        if name == "show_if" and uses_current(cond):
            self.report.error(where, "show_if can't use '.' (it only means something in a constraint)")
        for ref in sorted(references(cond)):
            self.reference(q, where, name, ref)
        self.condition_values(q, where, name, cond)

    def reference(self, q: Question, where: str, name: str, ref: str) -> None:
        if ref not in self.known_ids:
            close = difflib.get_close_matches(ref, sorted(self.known_ids), n=1)
            if close:
                self.report.coded(
                    where, "unknown-reference-suggestion", condition=name, question=ref, suggestion=close[0]
                )
            else:
                self.report.coded(where, "unknown-reference", condition=name, question=ref)
        elif ref == q.id:
            hint = "use '.' for the answer being checked" if name == "constraint" else "that is a cycle"
            self.report.error(where, f"{name} refers to the question itself ({hint})")
        elif self.order[ref] > self.order.get(q.id, -1):
            self.report.coded(where, "later-reference", condition=name, question=ref)
        elif ref in self.by_id and not self.by_id[ref].answerable:
            self.report.coded(where, "note-reference", condition=name, question=ref)

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
                    self.report.coded(
                        where,
                        "function-not-for-type",
                        condition=name,
                        function=function,
                        question=target.id,
                        type=target.type.value,
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

    def known_code(self, where: str, name: str, target: Question, value: Scalar) -> None:
        codes = [choice.code for _, choice in option_keys(target)]
        code = as_code(value)
        if code not in codes:
            listed = ", ".join(repr(c) for c in codes)
            self.report.coded(
                where, "unknown-choice-code", condition=name, question=target.id, code=code, codes=listed
            )

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
                self.report.error(
                    f"question {start}", f"show_if conditions form a cycle: {' -> '.join(path)}"
                )

    def cycle_from(self, graph: dict[str, list[str]], start: str, path: list[str]) -> list[str] | None:
        for ref in graph.get(path[-1], []):
            if ref == start:
                return [*path, start]
            if ref not in path:
                found = self.cycle_from(graph, start, [*path, ref])
                if found is not None:
                    return found
        return None
