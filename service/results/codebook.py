"""The codebook sheet of an XLSX export: what every column holds and what every code means.

Question texts and answer labels are in the export's language; the codebook's own explanations of the
fixed and score columns are in English, the language-neutral reference next to column names and codes.
"""

from __future__ import annotations

from typing import Any

from questionnaires.model import CHOICE_TYPES, Indicator, IndicatorMethod, Questionnaire, QuestionType
from questionnaires.prompts import Texts
from service.results.answers import choice_label
from service.results.exports import FIXED_COLUMNS, SCORE_PREFIX, ExportPlan
from service.results.indicators import scale_of

_FIXED_MEANING = {
    "conversation": "Conversation number (one row per conversation)",
    "respondent": "Pseudonymous respondent id: the same person has the same id in every campaign of the organization",
    "status": "in_progress, completed, expired (left unfinished) or opted_out",
    "channel": "web, sms, whatsapp or telegram",
    "language": "fr, nl or en: the language the conversation ended in",
    "started_at": "When the conversation started (UTC)",
    "completed_at": "When the conversation was completed (UTC); empty otherwise",
}


def codebook_rows(plan: ExportPlan, variables: dict[str, str]) -> list[list[Any]]:
    """The codebook: a row per column (what it holds), then a row per code of each closed question."""
    questionnaire = plan.questionnaire
    texts = Texts(questionnaire, plan.language, variables)
    default = questionnaire.default_language
    rows: list[list[Any]] = [["column", "kind", "type", "text", "code", "label"]]
    for name in FIXED_COLUMNS:
        rows.append([name, "conversation", "", _FIXED_MEANING[name], "", ""])
    for question in plan.questions:
        rows.append([question.id, "question", question.type.value, texts.required(question.text), "", ""])
        if question.type in CHOICE_TYPES:
            for choice in question.choices:
                rows.append(
                    [
                        question.id,
                        "",
                        "",
                        "",
                        choice.code,
                        choice_label(question, choice.code, plan.language, default),
                    ]
                )
        elif question.type is QuestionType.YES_NO:
            for code in ("yes", "no"):
                rows.append(
                    [question.id, "", "", "", code, choice_label(question, code, plan.language, default)]
                )
        elif question.minimum is not None and question.maximum is not None:
            low = texts(question.min_label) or ""
            high = texts(question.max_label) or ""
            rows.append([question.id, "", "", "", _plain(question.minimum), low])
            rows.append([question.id, "", "", "", _plain(question.maximum), high])
        if question.type is QuestionType.MULTIPLE_CHOICE:
            rows.append([question.id, "", "", f"several answers are joined with “{'; '}”", "", ""])
    for indicator in plan.indicators:
        rows.append(
            [
                SCORE_PREFIX + indicator.id,
                "score",
                indicator.method.value,
                texts.required(indicator.title),
                "",
                _score_meaning(questionnaire, indicator),
            ]
        )
    return rows


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _score_meaning(questionnaire: Questionnaire, indicator: Indicator) -> str:
    """What a score column holds, for the codebook (in English, the codebook's language of reference)."""
    if indicator.method is IndicatorMethod.SHARE:
        counted = ", ".join(indicator.codes)
        meaning = f"1 when the answer is {counted}, 0 otherwise; empty when not asked"
        if indicator.exclude:
            meaning += f" or answered {', '.join(indicator.exclude)} (left out of the share)"
        return meaning + "; the campaign share is the mean of this column × 100"
    if indicator.method is IndicatorMethod.RECOMMEND:
        return "+100 for 9-10, 0 for 7-8, −100 for 0-6; the campaign score is the mean of this column"
    scale = scale_of(questionnaire, indicator)
    span = f" from {_plain(scale[0])} to {_plain(scale[1])}" if scale else ""
    if indicator.method is IndicatorMethod.SUM:
        return f"sum of {', '.join(indicator.questions)} × {_plain(indicator.multiplier)}{span}; empty when an item is missing"
    if indicator.method is IndicatorMethod.BANDS:
        return f"the answer to {indicator.questions[0]}{span}; the campaign value is the mean"
    return f"mean of {', '.join(indicator.questions)}{span}; empty when an item is missing"
