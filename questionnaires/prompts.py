"""Building the channel-free :class:`Prompt` of a question, or of the consent, in one language."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from questionnaires.choice_replies import option_keys
from questionnaires.messages import message
from questionnaires.model import AnswerValue, Question, Questionnaire, QuestionType, Translated, translate
from questionnaires.numbers import format_number
from questionnaires.turns import CONSENT_ID, Option, Prompt

NO_VARIABLES: Final[Mapping[str, str]] = MappingProxyType({})
_PLACEHOLDER: Final = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def substitute(text: str, variables: Mapping[str, str]) -> str:
    """``text`` with each ``{name}`` replaced by its variable, in one pass and never with ``str.format``.

    A value is inserted as it is, so an organisation called "{name}" stays "{name}"; unknown
    placeholders are left alone.
    """
    if not variables or "{" not in text:
        return text
    return _PLACEHOLDER.sub(lambda m: variables.get(m.group(1), m.group(0)), text)


class Texts:
    """Translates a definition's texts into one language with the campaign's variables filled in."""

    def __init__(self, definition: Questionnaire, language: str, variables: Mapping[str, str]) -> None:
        self.definition = definition
        self.language = language
        self.variables = variables

    def __call__(self, text: Translated | None) -> str | None:
        if text is None:
            return None
        return substitute(translate(text, self.language, self.definition.default_language), self.variables)

    def required(self, text: Translated) -> str:
        return self(text) or ""


def _sentences(parts: list[str]) -> str | None:
    kept = [p.strip() for p in parts if p and p.strip()]
    if not kept:
        return None
    joined = kept[0]
    for part in kept[1:]:
        joined += (" " if joined[-1] in ".!?:;" else ". ") + part
    return joined


def scale_ends(question: Question, texts: Texts) -> str | None:
    """ "0 = not at all, 10 = extremely": what the ends of a scale mean, when the definition says."""
    ends: list[str] = []
    for value, label in ((question.minimum, question.min_label), (question.maximum, question.max_label)):
        text = texts(label)
        if value is not None and text:
            ends.append(f"{format_number(value, texts.language)} = {text}")
    return ", ".join(ends) or None


def question_prompt(
    definition: Questionnaire,
    question: Question,
    language: str,
    variables: Mapping[str, str] = NO_VARIABLES,
    *,
    number: int = 0,
    total: int = 0,
    can_go_back: bool = False,
    current_answer: AnswerValue | None = None,
) -> Prompt:
    """The prompt asking ``question``: text, numbered options, hint, bounds, progress."""
    texts = Texts(definition, language, variables)
    hint_parts = [texts(question.hint) or ""]
    if question.type is QuestionType.SCALE:
        hint_parts.append(scale_ends(question, texts) or "")
    if question.type is QuestionType.MULTIPLE_CHOICE:
        hint_parts.append(message("hint.multiple", language))
    options = tuple(Option(key, c.code, texts.required(c.label)) for key, c in option_keys(question))
    return Prompt(
        question_id=question.id,
        kind=question.type.value,
        text=texts.required(question.text),
        options=options,
        hint=_sentences(hint_parts),
        minimum=question.minimum,
        maximum=question.maximum,
        min_label=texts(question.min_label),
        max_label=texts(question.max_label),
        required=question.required,
        number=number,
        total=total,
        can_go_back=can_go_back,
        current_answer=current_answer,
    )


def consent_prompt(
    definition: Questionnaire,
    language: str,
    variables: Mapping[str, str] = NO_VARIABLES,
    *,
    total: int = 0,
) -> Prompt:
    """The consent request: the definition's consent text answered with yes (1) or no (2)."""
    texts = Texts(definition, language, variables)
    question = consent_question(definition)
    return Prompt(
        question_id=CONSENT_ID,
        kind="consent",
        text=texts.required(question.text),
        options=tuple(Option(key, c.code, texts.required(c.label)) for key, c in option_keys(question)),
        required=True,
        number=0,
        total=total,
    )


def consent_question(definition: Questionnaire) -> Question:
    """The consent as a yes/no question, so it is numbered and read like any other."""
    return Question(CONSENT_ID, QuestionType.YES_NO, definition.consent.text)


def describe_answer(
    questionnaire: Questionnaire, question: Question, value: AnswerValue, language: str
) -> str:
    """An answer as the respondent would recognise it: choice labels, yes/no words, or the value."""
    default = questionnaire.default_language
    if question.type is QuestionType.YES_NO:
        return message("yes" if value == "yes" else "no", language)
    if question.type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
        codes = value if isinstance(value, tuple) else (str(value),)
        labels = []
        for code in codes:
            choice = question.choice(str(code))
            labels.append(translate(choice.label, language, default) if choice else str(code))
        return ", ".join(labels)
    return str(value)
