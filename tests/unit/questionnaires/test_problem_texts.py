"""Common problems carry a code and values, so an interface can word them; their English is unchanged."""

from __future__ import annotations

import re

from questionnaires.documents import read_yaml
from questionnaires.problem_texts import TEMPLATES
from questionnaires.problems import Problem
from questionnaires.validation import check_document, validate_document

BROKEN = """\
id: x
version: 1
titel: {fr: "T", nl: "T", en: "T"}
languages: [fr, nl, en]
default_language: fr
consent:
  version: "1"
  text: {fr: "Oui ?", nl: "Ja?", en: "Yes?"}
questions:
  - id: a
    type: single_choice
    text: {fr: "A ?", en: "A?"}
    choices:
      - {code: "1", label: {fr: Un, nl: Een, en: One}}
      - {code: "1", label: {fr: Deux, en: Two}}
  - id: a
    type: text
    max: 3
    show_if: "b = '1'"
    text: {fr: "B ?", nl: "B?", en: "B?"}
  - id: c
    type: integer
    show_if: "a ="
    text: {fr: "C ?", nl: "C?", en: "C?"}
indicators:
  - id: i
    method: share
    dimension: individuals
    questions: [nowhere]
    codes: ["1"]
    title: {fr: I, nl: I, en: I}
"""


def _problems(text: str) -> list[Problem]:
    return check_document(read_yaml(text, "x.yaml"), "x.yaml")[1]


def test_the_common_problems_have_codes() -> None:
    codes = {problem.code for problem in _problems(BROKEN)}
    assert {
        "required",
        "missing-field-translation",
        "missing-choice-translation",
        "duplicate-choice-code",
        "duplicate-question-id",
        "field-not-for-type",
        "unknown-reference",
        "bad-condition",
        "indicator-unknown-question",
    } <= codes


def test_a_coded_message_is_its_template_filled_in_and_reads_as_before() -> None:
    for problem in _problems(BROKEN):
        if problem.code:
            assert problem.message == TEMPLATES[problem.code] % dict(problem.params)
    problem = Problem.coded("x.yaml", "question a", "missing-field-translation", field="text", languages="nl")
    assert str(problem) == "x.yaml: question a: text: no nl translation"
    assert problem == Problem(
        "x.yaml",
        "question a",
        "text: no nl translation",
        "error",
        "missing-field-translation",
        (("field", "text"), ("languages", "nl")),
    )


def test_a_misspelt_field_is_coded_with_its_suggestion() -> None:
    (problem,) = [p for p in _problems(BROKEN) if p.location == "titel"]
    assert (problem.code, dict(problem.params)) == ("not-known-suggestion", {"suggestion": "title"})
    assert problem.message == "is not a known field (did you mean title?)"


def test_channel_warnings_have_codes() -> None:
    long_text = "Bonjour " * 40
    document = read_yaml(
        f"""\
id: y
version: 1
title: {{fr: T, nl: T, en: T}}
languages: [fr, nl, en]
default_language: fr
consent:
  version: "1"
  text: {{fr: "Oui ?", nl: "Ja?", en: "Yes?"}}
questions:
  - id: a
    type: multiple_choice
    text: {{fr: "{long_text}", nl: "A?", en: "A?"}}
    choices:
      - {{code: x, label: {{fr: X, nl: X, en: X}}}}
      - {{code: y, label: {{fr: Y, nl: Y, en: Y}}}}
""",
        "y.yaml",
    )
    warnings = validate_document(document, "y.yaml").warnings
    assert {"sms-segments", "sms-multiple-choice"} <= {warning.code for warning in warnings}


def test_every_template_names_its_values_as_gettext_does() -> None:
    for code, template in TEMPLATES.items():
        assert re.fullmatch(r"[a-z0-9-]+", code), code
        assert "{" not in template and "%%" not in template, code
        for placeholder in re.findall(r"%(\(\w+\))?(.)", template):
            assert placeholder[0] and placeholder[1] in "sr", (code, placeholder)
