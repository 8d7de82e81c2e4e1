"""Warnings about how a valid definition will fare on each channel, mostly the cost and fit of SMS.

Every text a respondent receives by SMS (intro, consent, each question as ``plaintext`` renders it,
thanks) is measured in every language with ``{org}`` standing for an organisation name of
``org_name_length`` characters: a text that needs UCS-2 (70 characters a segment instead of 160) or
more than one segment is flagged, as are questions that are awkward to answer by SMS.
"""

from __future__ import annotations

from typing import Final

from questionnaires.messages import message
from questionnaires.model import CHOICE_TYPES, Questionnaire, QuestionType
from questionnaires.plaintext import render_text
from questionnaires.problems import Problem
from questionnaires.prompts import Texts, consent_prompt, question_prompt
from questionnaires.replies import DEFAULT_MAX_LENGTH
from questionnaires.segments import SegmentCount, count_segments, non_gsm_characters, transliterate
from questionnaires.turns import CONSENT_ID

INTRO_ID: Final = "__intro__"
THANKS_ID: Final = "__thanks__"
SMS_CHOICE_LIMIT: Final = 9
"""More choices than this need two-digit numbers, which are easy to mistype."""
SMS_LENGTH: Final = 160


def sms_texts(q: Questionnaire, language: str, org_name_length: int = 20) -> list[tuple[str, str]]:
    """Each text sent by SMS in one language, keyed by question id (or the intro, consent, thanks ids)."""
    variables = {"org": "X" * org_name_length}
    texts = Texts(q, language, variables)
    result: list[tuple[str, str]] = []
    intro = texts(q.intro)
    if intro:
        result.append((INTRO_ID, intro))
    result.append((CONSENT_ID, render_text(consent_prompt(q, language, variables), language)))
    for question in q.questions:
        if question.answerable:
            rendered = render_text(question_prompt(q, question, language, variables), language)
        else:
            rendered = texts.required(question.text)
        result.append((question.id, rendered))
    result.append((THANKS_ID, texts(q.thanks) or message("thanks", language)))
    return result


def sms_costs(
    q: Questionnaire, *, org_name_length: int = 20, transliterate: bool = False
) -> dict[str, list[tuple[str, SegmentCount]]]:
    """Encoding and segments of every SMS text per language, for the campaign's cost preview."""
    return {
        language: [
            (text_id, count_segments(_as_sent(text, transliterate)))
            for text_id, text in sms_texts(q, language, org_name_length)
        ]
        for language in q.languages
    }


def _as_sent(text: str, transliterated: bool) -> str:
    return transliterate(text) if transliterated else text


def _place(text_id: str) -> str:
    if text_id == CONSENT_ID:
        return "consent"
    if text_id == INTRO_ID:
        return "intro"
    if text_id == THANKS_ID:
        return "thanks"
    return f"question {text_id}"


def _source(q: Questionnaire) -> str:
    return f"{q.id} v{q.version}"


def check_channels(
    q: Questionnaire, *, org_name_length: int = 20, transliterate: bool = False
) -> list[Problem]:
    """Warnings (never errors) about texts that cost more than one SMS and questions awkward by SMS."""
    source = _source(q)
    problems: list[Problem] = []
    for language in q.languages:
        for text_id, text in sms_texts(q, language, org_name_length):
            sent = _as_sent(text, transliterate)
            count = count_segments(sent)
            location = f"{_place(text_id)} (sms, {language})"
            if count.encoding == "UCS-2":
                culprits = " ".join(non_gsm_characters(sent))
                problems.append(
                    Problem.coded(
                        source,
                        location,
                        "sms-ucs2",
                        "warning",
                        characters=culprits,
                        segments=str(count.segments),
                        length=str(count.characters),
                    )
                )
            elif count.segments > 1:
                problems.append(
                    Problem.coded(
                        source,
                        location,
                        "sms-segments",
                        "warning",
                        segments=str(count.segments),
                        units=str(count.units),
                        limit=str(SMS_LENGTH),
                    )
                )
    for question in q.questions:
        location = f"question {question.id} (sms)"
        if question.type in CHOICE_TYPES and len(question.choices) > SMS_CHOICE_LIMIT:
            problems.append(
                Problem.coded(
                    source,
                    location,
                    "sms-many-choices",
                    "warning",
                    count=str(len(question.choices)),
                    limit=str(SMS_CHOICE_LIMIT),
                )
            )
        if question.type is QuestionType.MULTIPLE_CHOICE:
            problems.append(Problem.coded(source, location, "sms-multiple-choice", "warning"))
        longest = question.max_length or DEFAULT_MAX_LENGTH
        if question.type is QuestionType.TEXT and longest > SMS_LENGTH:
            problems.append(
                Problem.coded(
                    source, location, "sms-long-text", "warning", length=str(longest), limit=str(SMS_LENGTH)
                )
            )
    return problems
