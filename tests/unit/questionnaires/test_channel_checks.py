"""Warnings about what a definition will cost or how hard it will be to answer by SMS."""

from __future__ import annotations

from conversation_runner import questionnaire

from questionnaires.channel_checks import INTRO_ID, THANKS_ID, check_channels, sms_costs
from questionnaires.loader import load_shipped, shipped_definitions
from questionnaires.turns import CONSENT_ID


def warnings_of(body: str, **options: object) -> set[tuple[str, str]]:
    definition = questionnaire(body, ("fr", "en"))
    problems = check_channels(definition, **options)  # type: ignore[arg-type]
    assert all(p.severity == "warning" for p in problems)
    return {(p.location, p.message) for p in problems}


SHORT = "questions: [{id: Q, type: yes_no, text: {fr: Bien ?, en: Good?}}]"


def test_a_short_gsm7_questionnaire_has_no_warnings() -> None:
    assert warnings_of(SHORT) == set()


def test_a_character_outside_gsm7_is_named() -> None:
    found = warnings_of("questions: [{id: Q, type: yes_no, text: {fr: Êtes-vous prêt ?, en: Ready?}}]")
    assert (
        "question Q (sms, fr)",
        "is sent as UCS-2 (70 characters a segment) because of Ê ê: 1 segment(s) for 28 characters",
    ) in found
    assert not any(location.endswith("en)") for location, _ in found)


def test_transliteration_removes_the_ucs2_warning() -> None:
    body = "questions: [{id: Q, type: yes_no, text: {fr: Êtes-vous prêt ?, en: Ready?}}]"
    assert warnings_of(body, transliterate=True) == set()


def test_a_text_needing_two_segments_is_flagged_with_the_organisation_name_counted() -> None:
    text = "x" * 120 + " {org} ?"
    body = f"questions: [{{id: Q, type: text, max_length: 100, text: {{fr: '{text}', en: Short?}}}}]"
    assert warnings_of(body, org_name_length=10) == set()
    found = warnings_of(body, org_name_length=40)
    assert (
        "question Q (sms, fr)",
        "needs 2 SMS segments (163 characters, 160 fit in one); shorten it",
    ) in found


def test_questions_awkward_by_sms_are_flagged_once() -> None:
    choices = ", ".join(f"{{code: '{n}', label: {{fr: C{n}, en: C{n}}}}}" for n in range(1, 11))
    found = warnings_of(
        f"""
        questions:
          - {{id: many, type: single_choice, text: {{fr: Lequel ?, en: Which?}}, choices: [{choices}]}}
          - {{id: multi, type: multiple_choice, text: {{fr: Lesquels ?, en: Which?}}, choices: [{choices}]}}
          - {{id: long, type: text, max_length: 300, text: {{fr: Pourquoi ?, en: Why?}}}}
          - {{id: short, type: text, max_length: 160, text: {{fr: Pourquoi ?, en: Why?}}}}
        """
    )
    structural = {(location, message) for location, message in found if location.endswith("(sms)")}
    assert structural == {
        ("question many (sms)", "10 choices are many for SMS (more than 9 need two-digit numbers)"),
        ("question multi (sms)", "10 choices are many for SMS (more than 9 need two-digit numbers)"),
        (
            "question multi (sms)",
            "multiple choice is harder by SMS: respondents must send several numbers in one reply",
        ),
        (
            "question long (sms)",
            "accepts up to 300 characters, more than one SMS (160); set max_length: 160 or less",
        ),
    }


def test_sms_costs_list_every_text_sent_per_language() -> None:
    definition = questionnaire("intro: {fr: Salut, en: Hi}\n" + SHORT, ("fr", "en"))
    costs = sms_costs(definition)
    assert set(costs) == {"fr", "en"}
    assert [text_id for text_id, _ in costs["fr"]] == [INTRO_ID, CONSENT_ID, "Q", THANKS_ID]
    intro = costs["en"][0][1]
    assert (intro.encoding, intro.segments, intro.characters) == ("GSM-7", 1, 2)


def test_shipped_questions_fit_one_gsm7_segment_each() -> None:
    for qid in shipped_definitions():
        for language, counts in sms_costs(load_shipped(qid), transliterate=True).items():
            for text_id, count in counts:
                assert count.encoding == "GSM-7", (qid, language, text_id)
