"""Fuzzing the pure core with hypothesis: the reply parser, the definition loader, the XLSForm importer.

* The reply parser reads anything a person can type (any unicode, control characters, megabyte-sized
  pastes) for every question type, and answers with an answer valid for the question, a skip, or an
  error it can explain; never an exception, never a value the question can't hold.
* The definition loader, given random YAML, random data and valid definitions mutated at random, either
  loads a questionnaire or raises ``DefinitionError`` naming the problems; nothing else.
* The XLSForm importer, given workbooks generated at random and the shared forms mutated cell by cell
  (written with openpyxl), returns a document and its problems; never an exception.

Every example has an explicit deadline (generous: the machine may be busy, and only pathological
slowness, such as a regular expression backtracking on a long reply, should trip it).
"""

from __future__ import annotations

import copy
import math
import re
import string
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from questionnaires.loader import DEFINITIONS_DIR, load_document, load_text
from questionnaires.model import Question, QuestionType
from questionnaires.problems import DefinitionError
from questionnaires.replies import ParsedAnswer, ReplyError, Skipped, explain, parse_answer, parse_reply
from questionnaires.xlsform import XlsformImport, import_xlsform
from tests.faults.tally import Tally
from tests.unit.questionnaires.xlsform_builders import write_xlsform

AREA = "Fuzzing the core"
FORMS = Path(__file__).parents[1] / "data" / "xlsforms"
DEADLINE = timedelta(seconds=5)

pytestmark = pytest.mark.timeout(240)

EVERY_TYPE = """
id: fuzz
version: 1
title: {fr: Fuzz, nl: Fuzz, en: Fuzz}
languages: [fr, nl, en]
default_language: fr
consent:
  version: "1"
  text: {fr: "D'accord ?", nl: "Akkoord?", en: "Agreed?"}
questions:
  - id: single
    type: single_choice
    text: {fr: "Comment ?", nl: "Hoe?", en: "How?"}
    choices:
      - {code: "1", label: {fr: Très bien, nl: Heel goed, en: Very well}}
      - {code: "2", label: {fr: Bien, nl: Goed, en: Well}}
      - {code: "3", label: {fr: Mal, nl: Slecht, en: Badly}}
      - {code: "9", label: {fr: Je ne sais pas, nl: Weet niet, en: "Don't know"}}
  - id: lettered
    type: single_choice
    text: {fr: "Lequel ?", nl: "Welke?", en: "Which?"}
    choices:
      - {code: a, label: {fr: Pomme, nl: Appel, en: Apple}}
      - {code: b, label: {fr: Poire, nl: Peer, en: Pear}}
      - {code: c, label: {fr: Prune, nl: Pruim, en: Plum}}
  - id: multiple
    type: multiple_choice
    required: false
    constraint: "count(.) <= 3"
    text: {fr: "Lesquels ?", nl: "Welke?", en: "Which ones?"}
    choices:
      - {code: a, label: {fr: Logement, nl: Huisvesting, en: Housing}}
      - {code: b, label: {fr: Emploi, nl: Werk, en: Work}}
      - {code: c, label: {fr: Santé, nl: Gezondheid, en: Health}}
      - {code: d, label: {fr: Formation, nl: Opleiding, en: Training}}
      - {code: e, label: {fr: Autre chose, nl: Iets anders, en: Something else}}
  - id: yesno
    type: yes_no
    text: {fr: "Oui ou non ?", nl: "Ja of nee?", en: "Yes or no?"}
  - id: scale
    type: scale
    min: 0
    max: 10
    text: {fr: "De 0 à 10 ?", nl: "Van 0 tot 10?", en: "From 0 to 10?"}
  - id: whole
    type: integer
    min: 16
    max: 120
    constraint: ". != 99"
    text: {fr: "Âge ?", nl: "Leeftijd?", en: "Age?"}
  - id: amount
    type: number
    required: false
    min: -5
    max: 60.5
    text: {fr: "Heures ?", nl: "Uren?", en: "Hours?"}
  - id: comment
    type: text
    required: false
    max_length: 200
    constraint: "length(.) >= 2"
    text: {fr: "Un mot ?", nl: "Een woord?", en: "A word?"}
"""
QUESTIONNAIRE = load_text(EVERY_TYPE)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# Everything a phone or a browser can send: any code point (controls and surrogates' neighbours included),
# digits and words the parser looks for, whitespace of every kind, and long pastes.
_words = st.sampled_from(
    ["oui", "non", "ja", "nee", "yes", "no", "un", "deux", "trois", "tien", "twaalf", "et", "en", "and",
     "skip", "passer", "-", "—", "1", "2", "3", "9", "10", "11", "0", "-5", "60,5", "60.5", "1e9", "nan",
     "inf", "½", "٣", "１０", "Très", "bien", "JE NE SAIS PAS", "/", "sur", "10/10", "merci", "svp",
     "pomme", "POIRE", "1,3", "1 et 2", "a b", "\u200b", "\u00a0", "\t", "\n"]
)  # fmt: skip
replies = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.lists(_words, max_size=8).map(" ".join),
    st.lists(st.one_of(_words, st.text(alphabet=string.punctuation + " ", max_size=3)), max_size=8).map(
        "".join
    ),
    st.builds(lambda unit, times: unit * times, st.text(min_size=1, max_size=8), st.integers(100, 3000)),
    st.just("9" * 10_000),
    st.just("1 " * 50_000),
)


def _valid_for(question: Question, value: Any) -> bool:
    """Whether ``value`` is an answer ``question`` can hold."""
    codes = {choice.code for choice in question.choices}
    kind = question.type
    if kind is QuestionType.SINGLE_CHOICE:
        return value in codes
    if kind is QuestionType.MULTIPLE_CHOICE:  # its constraint: at most three
        return (
            isinstance(value, tuple)
            and 1 <= len(value) <= 3
            and set(value) <= codes
            and len(set(value)) == len(value)
        )
    if kind is QuestionType.YES_NO:
        return value in ("yes", "no")
    low, high = question.minimum, question.maximum
    assert kind not in (QuestionType.SCALE, QuestionType.INTEGER, QuestionType.NUMBER) or (
        low is not None and high is not None
    )
    if kind in (QuestionType.SCALE, QuestionType.INTEGER):  # the integer's constraint: not 99
        whole = isinstance(value, int) and not isinstance(value, bool)
        return whole and low <= value <= high and value != 99
    if kind is QuestionType.NUMBER:
        number = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        return number and low <= value <= high
    if kind is QuestionType.TEXT:
        limit = question.max_length or 500
        return isinstance(value, str) and 2 <= len(value) <= limit and not _CONTROL.search(value)
    return False


def _check_result(question: Question, result: Any, language: str, seen: Counter[str]) -> None:
    if isinstance(result, ParsedAnswer):
        assert _valid_for(question, result.value), (question.id, result.value)
        seen["accepted"] += 1
    elif isinstance(result, Skipped):
        assert not question.required, f"{question.id} is required but was skipped"
        seen["skipped"] += 1
    else:
        assert isinstance(result, ReplyError), type(result)
        assert explain(result, language).strip(), "an error with nothing to say"
        seen["re-asked"] += 1


def test_the_reply_parser_reads_anything_without_an_exception_or_an_invalid_value(tally: Tally) -> None:
    seen: Counter[str] = Counter()
    questions = [q for q in QUESTIONNAIRE.questions if q.type is not QuestionType.NOTE]

    @settings(max_examples=600, deadline=DEADLINE, suppress_health_check=[HealthCheck.too_slow])
    @given(st.sampled_from(questions), replies, st.sampled_from(("fr", "nl", "en")))
    def typed(question: Question, text: str, language: str) -> None:
        seen["inputs"] += 1
        _check_result(question, parse_reply(question, text, language), language, seen)

    @settings(max_examples=300, deadline=DEADLINE)
    @given(
        st.sampled_from(questions),
        st.one_of(
            replies,
            st.lists(st.one_of(st.sampled_from(["a", "b", "c", "z", ""]), replies), max_size=6).map(tuple),
        ),
        st.sampled_from(("fr", "nl", "en")),
    )
    def structured(question: Question, raw: str | tuple[str, ...], language: str) -> None:
        seen["inputs"] += 1
        _check_result(question, parse_answer(question, raw, language), language, seen)

    typed()
    structured()
    tally.add(inputs=seen["inputs"])
    tally.note(
        f"reply parser: {seen['accepted']} accepted, {seen['skipped']} skipped, {seen['re-asked']} re-asked"
    )
    assert seen["accepted"] and seen["re-asked"]


# --- the definition loader ------------------------------------------------------------------------------

SHIPPED = [
    yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted(DEFINITIONS_DIR.glob("*.yaml"))
]
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["", "fr", "single_choice", "scale", "yes", "A1", "share", "mean", ". > 3", "A1 = '1'",
                     "selected(A1, 'x')", "((((", "count(.)", "${x}", "\x00"]),
)  # fmt: skip
_data = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*path, index))
    return found


@st.composite
def mutated_definitions(draw: st.DrawFn) -> Any:
    """A shipped definition with a few of its values replaced, removed or duplicated."""
    document = copy.deepcopy(draw(st.sampled_from(SHIPPED)))
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _paths(document) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "delete", "duplicate", "empty"]))
        if action == "replace":
            parent[path[-1]] = draw(_data)
        elif action == "delete":
            del parent[path[-1]]
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[path[-1]]))
        else:
            parent[path[-1]] = (
                type(parent[path[-1]])() if isinstance(parent[path[-1]], dict | list | str) else None
            )
    return document


_yaml_texts = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(["id: x", "version: 1", "questions:", "  - id: A1", "    type: scale", "    min: 5",
                              "    max: 1", "&a [*a]", "!!python/object:os.system", "{", "? :", "- - -", "\t",
                              "languages: [fr, fr]", "fr: a", "fr: b", "<<: *x", "%YAML 9.9", "---", "..."]),
             max_size=12).map("\n".join),
)  # fmt: skip


def test_the_definition_loader_raises_only_definition_errors(tally: Tally) -> None:
    seen: Counter[str] = Counter()

    def load(source: Any) -> None:
        seen["inputs"] += 1
        loader = load_text if isinstance(source, str) else load_document
        try:
            loader(source)
        except DefinitionError as error:
            problems = error.problems
        else:
            seen["loaded"] += 1
            return
        assert problems, "a DefinitionError must name its problems"
        assert all(str(problem) for problem in problems)
        seen["rejected"] += 1

    @settings(max_examples=200, deadline=DEADLINE, suppress_health_check=[HealthCheck.too_slow])
    @given(mutated_definitions())
    def mutated(document: Any) -> None:
        load(document)
        try:
            text = yaml.safe_dump(document, allow_unicode=True)
        except (yaml.YAMLError, ValueError):
            return
        load(text)

    @settings(max_examples=200, deadline=DEADLINE)
    @given(st.one_of(_yaml_texts, _data))
    def random(source: Any) -> None:
        load(source)

    mutated()
    random()
    # YAML alias bombs ("billion laughs": 9**9 items by reference): refused, quickly, with DefinitionError.
    anchors = "anchors:\n  l0: &l0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"  l{i + 1}: &l{i + 1} [" + ", ".join([f"*l{i}"] * 9) + "]\n" for i in range(8)
    )
    for where in ("questions: *l8", "languages: *l8", "indicators: *l8", "title: {fr: *l8}"):
        load(f"{anchors}id: bomb\nversion: 1\n{where}\n")
    tally.add(inputs=seen["inputs"])
    tally.note(
        f"definition loader: {seen['loaded']} loaded, {seen['rejected']} rejected with DefinitionError"
    )
    assert seen["rejected"]


# --- the XLSForm importer ---------------------------------------------------------------------------------

_TYPES = [
    "text", "integer", "decimal", "note", "acknowledge", "select_one colours", "select_multiple colours",
    "select_one missing_list", "select one colours or_other", "range", "calculate", "hidden", "geopoint",
    "date", "image", "begin_group", "end_group", "begin group", "end group", "begin_repeat", "end_repeat",
    "start", "deviceid", "rank colours", "select_one_from_file x.csv", "trigger", "", "nonsense",
]  # fmt: skip
_cell_text = st.text(max_size=30).map(lambda text: ILLEGAL_CHARACTERS_RE.sub("", text))
"""Any text a spreadsheet cell can hold (openpyxl refuses most control characters)."""
_names = st.one_of(st.sampled_from(["q1", "q2", "age", "colour", "grp", "", "1bad", "x y", "q1"]), _cell_text)
_expressions = st.one_of(
    st.none(),
    st.sampled_from(["${q1} = 'red'", "${age} > 18", ". < 100", "selected(${colour}, 'red')", "${missing} = 1",
                     "count-selected(${colour}) > 1", "string-length(.) > 2", "((", "${q1}", "not(${q2})",
                     "today() > ${q1}", "${age} div 0", "'unterminated"]),
    _cell_text,
)  # fmt: skip
_labels = st.one_of(st.none(), _cell_text, st.sampled_from(["Âge ?", "<b>x</b>", "${q1}", "\u200b", "=1+1"]))
_cells = st.one_of(st.none(), st.integers(-5, 10**12), st.floats(allow_nan=False), _cell_text)


@st.composite
def generated_workbooks(draw: st.DrawFn) -> dict[str, list[tuple[Any, ...]]]:
    survey_header = ("type", "name", "label::Français (fr)", "label::English (en)", "relevant", "constraint",
                     "required", "parameters", "choice_filter", "read_only", "hint::Nederlands (nl)")  # fmt: skip
    rows = draw(
        st.lists(
            st.tuples(
                st.sampled_from(_TYPES), _names, _labels, _labels, _expressions, _expressions,
                st.sampled_from([None, "yes", "true()", "no", "maybe"]),
                st.sampled_from([None, "start=0 end=10", "start=1 end=5 step=0.5", "start=10 end=1", "bogus"]),
                st.sampled_from([None, "colour = ${q1}"]), st.sampled_from([None, "yes"]), _labels,
            ),
            max_size=12,
        )
    )  # fmt: skip
    choices = [("list_name", "name", "label::Français (fr)", "label::English (en)")]
    choices += draw(
        st.lists(
            st.tuples(st.sampled_from(["colours", "colours", "other", ""]), _names, _labels, _labels),
            max_size=6,
        )
    )
    settings_rows: list[tuple[Any, ...]] = [("form_title", "form_id", "version", "default_language")]
    settings_rows.append(
        (
            draw(_labels),
            draw(_names),
            draw(st.one_of(_cells, st.just("2026112601"), st.just(str(2**40)))),
            draw(st.sampled_from([None, "fr", "Français (fr)", "klingon"])),
        )
    )
    sheets = {"survey": [survey_header, *rows], "choices": choices, "settings": settings_rows}
    if draw(st.booleans()):
        sheets.pop(draw(st.sampled_from(["choices", "settings"])))
    return sheets


def _check_import(result: Any) -> None:
    assert isinstance(result, XlsformImport)
    assert all(problem.message for problem in result.problems)
    if not result.errors and result.document:
        result.to_yaml()


def test_the_xlsform_importer_reports_problems_and_never_raises(tmp_path: Path, tally: Tally) -> None:
    seen: Counter[str] = Counter()
    shared = sorted(FORMS.glob("*.xlsx"))

    @settings(
        max_examples=40,
        deadline=timedelta(seconds=20),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(generated_workbooks())
    def generated(sheets: dict[str, list[tuple[Any, ...]]]) -> None:
        seen["inputs"] += 1
        path = write_xlsform(tmp_path / "generated.xlsx", **sheets)
        result = import_xlsform(path)
        _check_import(result)
        seen["with problems" if result.problems else "clean"] += 1

    @settings(
        max_examples=25,
        deadline=timedelta(seconds=20),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(st.sampled_from(shared), st.data())
    def mutated(form: Path, data: st.DataObject) -> None:
        seen["inputs"] += 1
        workbook = load_workbook(form)
        for _ in range(data.draw(st.integers(1, 6))):
            sheet = workbook[data.draw(st.sampled_from(workbook.sheetnames))]
            row = data.draw(st.integers(1, max(sheet.max_row, 1) + 1))
            column = data.draw(st.integers(1, max(sheet.max_column, 1) + 1))
            sheet.cell(row=row, column=column).value = data.draw(
                st.one_of(_cells, _labels, _expressions, st.sampled_from(_TYPES))
            )
        path = tmp_path / "mutated.xlsx"
        workbook.save(path)
        result = import_xlsform(path)
        _check_import(result)
        seen["with problems" if result.problems else "clean"] += 1

    generated()
    mutated()
    for broken in (b"", b"PK\x03\x04 not really a zip", b"survey,type\n"):
        path = tmp_path / "broken.xlsx"
        path.write_bytes(broken)
        seen["inputs"] += 1
        _check_import(import_xlsform(path))
    tally.add(inputs=seen["inputs"])
    tally.note(f"XLSForm importer: {seen['with problems']} with problems reported, {seen['clean']} clean")


def test_a_form_without_any_text_is_reported_not_raised(tmp_path: Path) -> None:
    """Found by the fuzzer: a workbook without a single label made the importer raise KeyError('en')."""
    path = write_xlsform(tmp_path / "bare.xlsx", survey=[("type", "name"), ("integer", "age")])
    result = import_xlsform(path)
    assert any("no label text" in problem.message for problem in result.errors)
    assert any("no question could be imported" in problem.message for problem in result.errors)
