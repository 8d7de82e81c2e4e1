"""Loading definitions from files, text and stored documents; every problem at once, located."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from questionnaires.loader import (
    load_document,
    load_file,
    load_shipped,
    load_text,
    shipped_definitions,
    to_document,
)
from questionnaires.model import QuestionType
from questionnaires.problems import DefinitionError, Problem

ROOT = Path(__file__).resolve().parents[3]
DOC_EXAMPLE = re.search(r"```yaml\n(.*?)```", (ROOT / "docs" / "questionnaires.md").read_text("utf-8"), re.S)

MINIMAL = """\
id: tiny
version: 1
title: {en: Tiny}
languages: [en]
default_language: en
consent: {version: "1", text: {en: OK to answer?}}
questions:
  - {id: Q, type: yes_no, text: {en: Fine?}}
"""


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(DefinitionError) as caught:
        load_text(textwrap.dedent(text), "file.yaml")
    return caught.value.problems


def test_the_documented_example_loads() -> None:
    assert DOC_EXAMPLE is not None
    q = load_text(DOC_EXAMPLE.group(1), "docs/questionnaires.md")
    assert q.id == "hello-impact"
    assert [question.id for question in q.questions] == ["A1", "A2", "A5", "kids", "A6"]
    a2 = q.question("A2")
    assert a2.show_if_source == "A1 in ['1', '2']"
    assert a2.show_if is not None
    assert (a2.required, a2.max_length) == (False, 300)
    a5 = q.question("A5")
    assert (a5.type, a5.minimum, a5.maximum) == (QuestionType.SCALE, 0, 10)
    assert [ind.questions for ind in q.indicators] == [("A1",), ("A5",)]


def test_a_definition_survives_storage_as_json() -> None:
    assert DOC_EXAMPLE is not None
    q = load_text(DOC_EXAMPLE.group(1))
    stored = json.loads(json.dumps(to_document(q)))
    assert load_document(stored) == q


@pytest.mark.parametrize("qid", sorted(shipped_definitions()))
def test_every_shipped_definition_loads_and_round_trips(qid: str) -> None:
    q = load_shipped(qid)
    assert q.id == qid
    assert load_document(json.loads(json.dumps(to_document(q)))) == q


def test_shipped_definitions_are_keyed_by_id_and_loaded_once() -> None:
    paths = shipped_definitions()
    assert all(path.suffix in (".yaml", ".yml") and path.is_file() for path in paths.values())
    if paths:
        qid = next(iter(paths))
        assert load_shipped(qid) is load_shipped(qid)


def test_an_unknown_shipped_questionnaire_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="no shipped questionnaire 'nope'"):
        load_shipped("nope")


def test_yaml_syntax_errors_give_line_and_column() -> None:
    [problem] = problems_of(MINIMAL + "  - {id: R, type: text\n")
    assert problem.source == "file.yaml"
    assert problem.location == "line 10, column 1"
    assert problem.message.startswith("YAML: ")


def test_a_key_given_twice_is_an_error_not_a_silent_overwrite() -> None:
    [problem] = problems_of(MINIMAL + "  - {id: R, type: text, text: {en: A, en: B}}\n")
    assert problem.location == "line 9, column 39"
    assert "'en' is given twice" in problem.message


def test_yes_and_no_stay_text() -> None:
    q = load_text(
        MINIMAL
        + "  - id: R\n"
        + "    type: single_choice\n"
        + "    text: {en: Which?}\n"
        + "    choices:\n"
        + "      - {code: yes, label: {en: Yes}}\n"
        + "      - {code: no, label: {en: No}}\n"
        + "      - {code: 3, label: {en: Off}}\n"
    )
    choices = q.question("R").choices
    assert [(c.code, c.label["en"]) for c in choices] == [("yes", "Yes"), ("no", "No"), ("3", "Off")]


def test_every_problem_is_reported_at_once_with_its_place() -> None:
    problems = problems_of(
        """\
        id: broken
        version: 0
        title: {fr: Cassé}
        languages: [fr, en]
        default_language: nl
        consent: {version: "1", text: {fr: "D'accord ?", en: OK?}}
        questions:
          - {id: A1, type: single_choice, text: {fr: A, en: A}, choices: [{code: "1", label: {fr: Un, en: One}}]}
          - {id: A2, type: text, show-if: "A1 = '1'", text: {fr: B, en: B}}
          - {id: A3, type: scale, min: 0, max: 10, show_if: "A9 = 1", text: {fr: C}}
          - {id: A1, type: yes_no, text: {fr: D, en: D}}
        """
    )
    found = {(p.location, p.message) for p in problems}
    assert ("version", "must be a positive integer") in found
    assert ("question A2", "show-if: is not a known field (did you mean show_if?)") in found
    assert ("title", "no en translation") in found
    assert ("default_language", "'nl' is not one of the languages (fr, en)") in found
    assert ("question A1", "a single_choice question needs at least 2 choices") in found
    assert ("question A3", "text: no en translation") in found
    assert ("question A3", "show_if refers to A9, which is not a question") in found
    assert ("question A1", "the id is already used by question #1") in found
    assert all(p.source == "file.yaml" and p.severity == "error" for p in problems)


def test_load_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(MINIMAL.replace("version: 1", "version: one"), "utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_file(path)
    assert [str(p) for p in caught.value.problems] == [f"{path}: version: must be a whole number"]


def test_a_missing_file_is_a_definition_error(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="can't be read"):
        load_file(tmp_path / "absent.yaml")


def test_a_document_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(DefinitionError, match="must be a mapping"):
        load_text("- just\n- a list\n")
    with pytest.raises(DefinitionError, match="empty"):
        load_text("")
