"""Cross-checks of a definition: each problem named with its place, all of them together."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from questionnaires.documents import read_yaml
from questionnaires.validation import ValidationReport, validate_document, validate_file

HEADER = """\
id: check
version: 1
title: {fr: T, en: T}
languages: [fr, en]
default_language: fr
consent: {version: "1", text: {fr: "D'accord ?", en: Agree?}}
"""


def report(body: str) -> ValidationReport:
    return validate_document(read_yaml(HEADER + textwrap.dedent(body), "check.yaml"), "check.yaml")


def errors(body: str) -> set[tuple[str, str]]:
    result = report(body)
    assert result.questionnaire is None
    assert not result.ok
    return {(p.location, p.message) for p in result.errors}


def test_a_sound_definition_has_no_errors() -> None:
    result = report(
        """
        questions:
          - {id: A1, type: single_choice, text: {fr: A, en: A}, choices: [{code: "1", label: {fr: Un, en: One}}, {code: "2", label: {fr: Deux, en: Two}}]}
          - {id: A2, type: text, required: false, show_if: "A1 = '2'", text: {fr: B, en: B}}
        """
    )
    assert result.ok
    assert result.errors == []
    assert result.questionnaire is not None


def test_duplicate_ids_and_codes() -> None:
    found = errors(
        """
        questions:
          - {id: A, type: single_choice, text: {fr: A, en: A}, choices: [{code: "1", label: {fr: X, en: X}}, {code: "1", label: {fr: Y, en: Y}}]}
          - {id: A, type: yes_no, text: {fr: B, en: B}}
        """
    )
    assert ("question A", "choice code '1' is used more than once") in found
    assert ("question A", "the id is already used by question #1") in found


def test_missing_translations_are_named_field_by_field() -> None:
    found = errors(
        """
        intro: {fr: Bonjour}
        questions:
          - id: A
            type: scale
            min: 1
            max: 5
            min_label: {en: low}
            text: {fr: A}
            hint: {fr: Aide, en: Help}
        """
    )
    assert ("intro", "no en translation") in found
    assert ("question A", "text: no en translation") in found
    assert ("question A", "min_label: no fr translation") in found


def test_unknown_language_codes_are_refused() -> None:
    found = errors("questions: [{id: A, type: yes_no, text: {fr: A, en: A, de: A}}]")
    assert ("question A", "text: unknown language 'de' (use fr, nl, en)") in found


def test_the_default_language_must_be_one_of_the_languages() -> None:
    doc = read_yaml(HEADER.replace("default_language: fr", "default_language: nl"), "check.yaml")
    assert isinstance(doc, dict)
    doc["questions"] = [{"id": "A", "type": "yes_no", "text": {"fr": "A", "en": "A"}}]
    found = {(p.location, p.message) for p in validate_document(doc, "check.yaml").errors}
    assert found == {("default_language", "'nl' is not one of the languages (fr, en)")}


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("B = '1'", "show_if refers to B, which comes later (a condition may only use earlier questions)"),
        ("C = '1'", "show_if refers to the question itself (that is a cycle)"),
        ("Z = '1'", "show_if refers to Z, which is not a question"),
        ("N = '1'", "show_if refers to N, a note, which has no answer"),
        (
            "A = = '1'",
            "show_if \"A = = '1'\": expected a question id, a number, a text in quotes or '.', found '=' (at character 5)",
        ),
        (". = '1'", "show_if can't use '.' (it only means something in a constraint)"),
        ("A = '7'", "show_if: A has no choice '7' (its codes: '1', '2')"),
        ("A in ['1', '9']", "show_if: A has no choice '9' (its codes: '1', '2')"),
        ("selected(Y, 'maybe')", "show_if: Y has no choice 'maybe' (its codes: 'yes', 'no')"),
        ("count(Y) > 1 or length(A) > 2", "show_if: length() does not apply to A, a single_choice"),
    ],
)
def test_show_if_problems(condition: str, message: str) -> None:
    found = errors(
        f"""
        questions:
          - id: A
            type: single_choice
            text: {{fr: A, en: A}}
            choices: [{{code: "1", label: {{fr: Un, en: One}}}}, {{code: "2", label: {{fr: Deux, en: Two}}}}]
          - {{id: Y, type: yes_no, text: {{fr: Y, en: Y}}}}
          - {{id: N, type: note, text: {{fr: N, en: N}}}}
          - {{id: C, type: text, required: false, show_if: {condition!r}, text: {{fr: C, en: C}}}}
          - {{id: B, type: yes_no, text: {{fr: B, en: B}}}}
        """
    )
    assert ("question C", message) in found


def test_show_if_cycles_are_reported() -> None:
    found = errors(
        """
        questions:
          - {id: A, type: yes_no, show_if: "B = 'yes'", text: {fr: A, en: A}}
          - {id: B, type: yes_no, show_if: "A = 'yes'", text: {fr: B, en: B}}
        """
    )
    assert ("question A", "show_if conditions form a cycle: A -> B -> A") in found


def test_constraints_use_dot_and_earlier_questions_only() -> None:
    found = errors(
        """
        questions:
          - {id: K, type: integer, constraint: "K > 0", text: {fr: K, en: K}}
          - {id: L, type: integer, constraint: ". <= M", text: {fr: L, en: L}}
          - {id: M, type: integer, constraint_message: {fr: Non, en: No}, text: {fr: M, en: M}}
          - {id: N, type: note, constraint: ". > 1", text: {fr: N, en: N}}
        """
    )
    assert (
        "question K",
        "constraint refers to the question itself (use '.' for the answer being checked)",
    ) in found
    assert (
        "question L",
        "constraint refers to M, which comes later (a condition may only use earlier questions)",
    ) in found
    assert ("question M", "constraint_message is given without a constraint") in found
    assert ("question N", "constraint does not apply to a note question") in found


def test_question_fields_must_fit_the_type() -> None:
    found = errors(
        """
        questions:
          - id: one
            type: single_choice
            text: {fr: A, en: A}
            choices: [{code: "1", label: {fr: Un, en: One}}]
          - {id: t, type: text, min: 1, max_length: 0, text: {fr: T, en: T}}
          - {id: s, type: scale, min: 0, max: 2.5, text: {fr: S, en: S}}
          - {id: s2, type: scale, text: {fr: S, en: S}}
          - {id: i, type: integer, min: 5, max: 1, text: {fr: I, en: I}}
          - {id: y, type: yes_no, max_label: {fr: x, en: x}, text: {fr: Y, en: Y}}
          - id: n
            type: number
            text: {fr: N, en: N}
            choices: [{code: "1", label: {fr: Un, en: One}}, {code: "2", label: {fr: Deux, en: Two}}]
        """
    )
    assert ("question one", "a single_choice question needs at least 2 choices") in found
    assert ("question t", "min does not apply to a text question") in found
    assert ("question t", "max_length: must be at least 1") in found
    assert ("question s", "max must be a whole number for a scale question") in found
    assert ("question s2", "a scale needs min and max") in found
    assert ("question i", "min (5) is greater than max (1)") in found
    assert ("question y", "max_label does not apply to a yes_no question") in found
    assert ("question n", "choices does not apply to a number question") in found


def test_reserved_words_are_not_question_ids() -> None:
    found = errors("questions: [{id: not, type: yes_no, text: {fr: A, en: A}}]")
    assert ("question not", "'not' is a word of the condition language and can't be a question id") in found


INDICATOR_QUESTIONS = """
questions:
  - {id: S, type: scale, min: 0, max: 10, text: {fr: S, en: S}}
  - {id: F, type: scale, min: 1, max: 5, text: {fr: F, en: F}}
  - {id: T, type: text, text: {fr: T, en: T}}
  - {id: Y, type: yes_no, text: {fr: Y, en: Y}}
  - id: C
    type: single_choice
    text: {fr: C, en: C}
    choices: [{code: a, label: {fr: A, en: A}}, {code: b, label: {fr: B, en: B}}]
indicators:
"""


def indicator_errors(*indicators: str) -> set[tuple[str, str]]:
    body = INDICATOR_QUESTIONS + "".join(
        f"  - {{id: i{n}, title: {{fr: I, en: I}}, dimension: individuals, {spec}}}\n"
        for n, spec in enumerate(indicators)
    )
    return errors(body)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("method: recommend, question: F", "recommend needs a 0-10 scale; F is not one"),
        (
            "method: sum, questions: [S, T]",
            "sum needs numeric answers; T is a text question without numeric codes",
        ),
        (
            "method: mean, question: C",
            "mean needs numeric answers; C is a single_choice question without numeric codes",
        ),
        (
            "method: mean, questions: [S, F], reverse: [C]",
            "reverse: C is not one of the indicator's questions",
        ),
        ("method: share, question: Y, codes: ['maybe']", "codes: 'maybe' is not a possible answer to Y"),
        ("method: share, question: S, codes: [11]", "codes: '11' is not a possible answer to S"),
        ("method: share, question: C", "share needs codes: the answers that count"),
        ("method: share, question: Z, codes: [a]", "refers to Z, which is not a question"),
        ("method: share, questions: [C, Y], codes: [a]", "the share method takes one question"),
        (
            "method: bands, question: T, bands: [{id: x, label: {fr: X, en: X}, min: 0, max: 1}]",
            "bands need a numeric question; T is a text",
        ),
        (
            "method: bands, question: S, bands: [{id: lo, label: {fr: L, en: L}, min: 0, max: 5}, {id: hi, label: {fr: H, en: H}, min: 5, max: 10}]",
            "bands lo and hi overlap",
        ),
        ("method: mean, question: S, codes: ['1']", "codes does not apply to the mean method"),
        (
            "method: recommend, question: S, multiplier: 4",
            "multiplier does not apply to the recommend method",
        ),
    ],
)
def test_indicators_must_fit_their_questions(spec: str, message: str) -> None:
    assert ("indicator i0", message) in indicator_errors(spec)


def test_sound_indicators_pass() -> None:
    result = report(
        INDICATOR_QUESTIONS
        + "  - {id: r, title: {fr: R, en: R}, dimension: practices, method: recommend, question: S}\n"
        + "  - {id: m, title: {fr: M, en: M}, dimension: individuals, method: mean, questions: [S, F], rescale: true, reverse: [F]}\n"
        + "  - {id: s, title: {fr: S, en: S}, dimension: individuals, method: share, question: S, codes: [9, 10]}\n"
        + "  - {id: y, title: {fr: Y, en: Y}, dimension: individuals, method: share, question: Y, codes: ['no']}\n"
    )
    assert result.errors == []


def test_duplicate_indicator_ids() -> None:
    found = errors(
        INDICATOR_QUESTIONS
        + "  - {id: twice, title: {fr: I, en: I}, dimension: individuals, method: share, question: Y, codes: ['yes']}\n"
        + "  - {id: twice, title: {fr: I, en: I}, dimension: individuals, method: share, question: Y, codes: ['no']}\n"
    )
    assert found == {("indicator twice", "another indicator has the same id")}


def test_channel_warnings_come_with_a_valid_definition() -> None:
    result = report(
        """
        questions:
          - {id: A, type: text, text: {fr: Qu'est-ce qui a changé pour vous depuis l'année dernière ?, en: What?}}
        """
    )
    assert result.ok
    assert (
        "question A (sms)",
        "accepts up to 500 characters, more than one SMS (160); set max_length: 160 or less",
    ) in {(w.location, w.message) for w in result.warnings}
    assert all(w.severity == "warning" and w.source == "check.yaml" for w in result.warnings)


def test_validate_file_reports_unreadable_and_broken_files(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: [unclosed\n", "utf-8")
    result = validate_file(broken)
    assert not result.ok
    assert result.errors[0].location.startswith("line 2")
    assert not validate_file(tmp_path / "missing.yaml").ok
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("id: caf\xe9".encode("latin-1"))
    assert validate_file(latin).errors[0].message == "is not UTF-8 text"
