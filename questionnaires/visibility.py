"""Skip logic: which questions a respondent sees, given their answers so far.

Questions are visited in definition order; a question is shown when it has no ``show_if`` or its
condition holds for the answers kept so far. An answer to a question that a later correction hid is
not kept: it neither counts for later conditions nor stays among the answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from questionnaires.condition_tree import references
from questionnaires.conditions import evaluate
from questionnaires.model import AnswerValue, Question, Questionnaire


def is_visible(question: Question, answers: Mapping[str, AnswerValue]) -> bool:
    """Whether ``question`` is shown, given the answers kept so far."""
    return question.show_if is None or evaluate(question.show_if, answers)


def kept_answers(definition: Questionnaire, answers: Mapping[str, AnswerValue]) -> dict[str, AnswerValue]:
    """The answers of questions that are still shown, each condition read on the answers kept before it."""
    kept: dict[str, AnswerValue] = {}
    for question in definition.questions:
        if question.id in answers and question.answerable and is_visible(question, kept):
            kept[question.id] = answers[question.id]
    return kept


@dataclass(frozen=True, slots=True)
class Step:
    """Where the conversation goes after a question: notes to show, answered questions passed, the next one."""

    notes: tuple[Question, ...]
    passed: tuple[str, ...]
    """Ids of visible questions (and notes) walked over, in order, for the history."""
    question: Question | None
    """The next question to ask, or None when the questionnaire is done."""


def next_step(definition: Questionnaire, answers: Mapping[str, AnswerValue], after: int) -> Step:
    """The next unanswered visible question after position ``after`` (-1: from the start).

    Questions answered before a correction are walked over, not asked again; notes met on the way
    are shown only if no answered question follows them (they were shown the first time round).
    """
    notes: list[Question] = []
    passed: list[str] = []
    for question in definition.questions[after + 1 :]:
        if not is_visible(question, answers):
            continue
        if not question.answerable:
            notes.append(question)
        elif question.id in answers:
            passed.extend(n.id for n in notes)
            passed.append(question.id)
            notes.clear()
        else:
            passed.extend(n.id for n in notes)
            return Step(tuple(notes), tuple(passed), question)
    passed.extend(n.id for n in notes)
    missed = first_missing(definition, answers)
    return Step(tuple(notes), tuple(passed), missed)


def first_missing(definition: Questionnaire, answers: Mapping[str, AnswerValue]) -> Question | None:
    """The first shown required question without an answer (only possible if a definition refers forward)."""
    return next(
        (
            q
            for q in definition.questions
            if q.answerable and q.required and q.id not in answers and is_visible(q, answers)
        ),
        None,
    )


def progress(
    definition: Questionnaire, answers: Mapping[str, AnswerValue], current: str | None
) -> tuple[int, int]:
    """Position of ``current`` among the questions likely to be asked, and how many those are.

    A later question whose condition depends on a question not yet reached is counted as likely.
    """
    reached = definition.position(current) if current and definition.has_question(current) else -1
    number = total = 0
    for position, question in enumerate(definition.questions):
        if not question.answerable:
            continue
        undecided = question.show_if is not None and any(
            ref not in answers and definition.has_question(ref) and definition.position(ref) >= reached
            for ref in references(question.show_if)
        )
        if position == reached or undecided or is_visible(question, answers):
            total += 1
            if position <= reached:
                number = total
    return number, total
