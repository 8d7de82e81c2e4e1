"""Every shipped questionnaire loads, is fully translated, fits one GSM-7 SMS per text and can be scored."""

from pathlib import Path

import pytest

from questionnaires.channel_checks import sms_texts
from questionnaires.loader import DEFINITIONS_DIR, load_file, shipped_definitions
from questionnaires.model import (
    CHOICE_TYPES,
    LANGUAGES,
    AnswerValue,
    Questionnaire,
    QuestionType,
    Translated,
)
from questionnaires.scoring import score_conversation
from questionnaires.segments import count_segments, non_gsm_characters
from questionnaires.validation import validate_file
from questionnaires.visibility import is_visible

FILES = sorted(DEFINITIONS_DIR.glob("*.yaml"))
ORG_NAME_LENGTH = 20


def test_at_least_four_questionnaires_are_shipped() -> None:
    assert len(FILES) >= 4
    assert {"beneficiaries", "insertion-workers", "partners", "who5"} <= set(shipped_definitions())


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_validates_without_errors_or_warnings(path: Path) -> None:
    report = validate_file(path, org_name_length=ORG_NAME_LENGTH)
    assert report.ok, "\n".join(str(p) for p in report.errors)
    assert report.warnings == [], "\n".join(str(p) for p in report.warnings)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_sms_is_one_gsm7_segment_in_every_language(path: Path) -> None:
    q = load_file(path)
    for language in q.languages:
        for text_id, text in sms_texts(q, language, ORG_NAME_LENGTH):
            count = count_segments(text)
            assert non_gsm_characters(text) == [], f"{text_id} ({language}): {text}"
            assert (count.encoding, count.segments) == ("GSM-7", 1), f"{text_id} ({language}): {text}"
            assert count.units <= 160


def translated_texts(q: Questionnaire) -> list[tuple[str, Translated]]:
    texts: list[tuple[str, Translated]] = [("title", q.title), ("consent", q.consent.text)]
    texts += [(name, t) for name, t in (("intro", q.intro), ("thanks", q.thanks)) if t is not None]
    for question in q.questions:
        texts.append((question.id, question.text))
        texts += [(f"{question.id}/{c.code}", c.label) for c in question.choices]
        texts += [(f"{question.id} label", t) for t in (question.min_label, question.max_label) if t]
    for indicator in q.indicators:
        texts.append((indicator.id, indicator.title))
        texts += [(f"{indicator.id}/{band.id}", band.label) for band in indicator.bands]
    return texts


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_all_three_languages_everywhere(path: Path) -> None:
    q = load_file(path)
    assert tuple(q.languages) == LANGUAGES
    assert q.consent.version
    for name, text in translated_texts(q):
        assert set(text) == set(LANGUAGES), name
        assert all(value.strip() for value in text.values()), name


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_indicators_reference_existing_questions_and_codes(path: Path) -> None:
    q = load_file(path)
    assert q.indicators
    for indicator in q.indicators:
        assert indicator.questions, indicator.id
        for question_id in (*indicator.questions, *indicator.reverse):
            assert q.has_question(question_id), f"{indicator.id} -> {question_id}"
        question = q.question(indicator.questions[0])
        if question.type in CHOICE_TYPES:
            known = {c.code for c in question.choices}
            assert set(indicator.codes) | set(indicator.exclude) <= known, indicator.id
        if question.type is QuestionType.YES_NO:
            assert set(indicator.codes) | set(indicator.exclude) <= {"yes", "no"}, indicator.id


def first_answers(q: Questionnaire) -> dict[str, AnswerValue]:
    """An answer to every question: the first choice, "yes", the scale minimum, a short text."""
    answers: dict[str, AnswerValue] = {}
    for question in q.questions:
        if question.type in CHOICE_TYPES:
            code = question.choices[0].code
            answers[question.id] = (code,) if question.type is QuestionType.MULTIPLE_CHOICE else code
        elif question.type is QuestionType.YES_NO:
            answers[question.id] = "yes"
        elif question.type in (QuestionType.SCALE, QuestionType.INTEGER):
            answers[question.id] = int(question.minimum or 0)
        elif question.type is QuestionType.TEXT:
            answers[question.id] = "ok"
    return answers


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_a_complete_response_scores_every_indicator(path: Path) -> None:
    q = load_file(path)
    scores = score_conversation(q, first_answers(q))
    assert set(scores) == {i.id for i in q.indicators}
    for score in scores.values():
        # Only answers an indicator deliberately leaves out ("still at the enterprise") have no value.
        assert score.value is not None or score.category == "excluded", score


def test_who5_index_of_the_shipped_definition() -> None:
    q = load_file(DEFINITIONS_DIR / "who5.yaml")
    answers: dict[str, AnswerValue] = {"W1": 5, "W2": 4, "W3": 3, "W4": 2, "W5": 1}
    assert score_conversation(q, answers)["who5_index"].value == 60.0


def test_beneficiaries_skip_logic() -> None:
    q = load_file(DEFINITIONS_DIR / "beneficiaries.yaml")
    # A2 (what changed) only when A1 is not "no change"; A6b (which problem) only after a problem.
    assert is_visible(q.question("A2"), {"A1": "1"})
    assert not is_visible(q.question("A2"), {"A1": "3"})
    assert is_visible(q.question("A6b"), {"A6": "yes"})
    assert not is_visible(q.question("A6b"), {"A6": "no"})
