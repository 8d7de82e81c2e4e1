"""How a stored answer reads: as its code, or as its label in a chosen language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from questionnaires.messages import message
from questionnaires.model import Question, QuestionType, translate

MULTIPLE_SEPARATOR = "; "


def codes_of(value: Any) -> list[str]:
    """The choice codes in a stored choice answer (a JSON list for multiple choice, a string otherwise)."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(code) for code in value]
    return [str(value)]


def choice_label(question: Question, code: str, language: str, default_language: str) -> str:
    """The label people saw for one code: the choice's label, or yes/no in ``language``."""
    if question.type is QuestionType.YES_NO:
        return message("yes" if code == "yes" else "no", language) if code in ("yes", "no") else code
    choice = question.choice(code)
    return translate(choice.label, language, default_language) if choice else code


def answer_text(question: Question, value: Any, language: str, default_language: str, *, codes: bool) -> str:
    """An answer for an export cell: codes (``codes=True``) or labels; several choices joined with "; "."""
    if value is None:
        return ""
    if question.type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE, QuestionType.YES_NO):
        chosen = codes_of(value)
        if not codes:
            chosen = [choice_label(question, code, language, default_language) for code in chosen]
        return MULTIPLE_SEPARATOR.join(chosen)
    if isinstance(value, float) and value.is_integer() and question.type is not QuestionType.NUMBER:
        return str(int(value))
    return str(value)


def answer_cell(question: Question, value: Any, language: str, default_language: str, *, codes: bool) -> Any:
    """An answer for a typed cell: numbers stay numbers (scale, integer, number), everything else is text."""
    return cell_formatter(question, language, default_language, codes=codes)(value)


def cell_formatter(
    question: Question, language: str, default_language: str, *, codes: bool
) -> Callable[[Any], Any]:
    """A function from a stored answer to its cell, with the question's labels looked up once (exports call
    it for every row of 100,000)."""
    if question.type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE, QuestionType.YES_NO):
        known = [c.code for c in question.choices] if question.choices else ["yes", "no"]
        labels = {
            code: code if codes else choice_label(question, code, language, default_language)
            for code in known
        }

        def choices(value: Any) -> Any:
            if value is None:
                return None
            if isinstance(value, list | tuple):
                return MULTIPLE_SEPARATOR.join(labels.get(str(code), str(code)) for code in value)
            return labels.get(str(value), str(value))

        return choices
    if question.type in (QuestionType.SCALE, QuestionType.INTEGER, QuestionType.NUMBER):
        integral = question.type is not QuestionType.NUMBER

        def number(value: Any) -> Any:
            if value is None:
                return None
            if isinstance(value, bool) or not isinstance(value, int | float):
                return str(value)
            if integral and float(value).is_integer():
                return int(value)
            return float(value)

        return number
    return lambda value: None if value is None else str(value)
