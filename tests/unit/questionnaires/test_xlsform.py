"""Importing XLSForms: small forms stated as tables in the tests, and fourteen real ones written by others."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from xlsform_builders import survey_rows, write_xlsform

from questionnaires.conditions import parse_condition
from questionnaires.engine import advance, start
from questionnaires.loader import load_document
from questionnaires.problems import DefinitionError, Problem
from questionnaires.turns import CONSENT_ID, Outcome, TextReply
from questionnaires.xlsform import DEFAULT_CONSENT, DEFAULT_CONSENT_VERSION, XlsformImport, import_xlsform
from questionnaires.xlsform_expressions import Reference, UntranslatableExpression, translate_expression

SHARED_FORMS = Path(__file__).parents[2] / "data" / "xlsforms"
TRILINGUAL = ("label::French (fr)", "label::Dutch (nl)", "label::English (en)")
YES_NO_CHOICES = [
    ("list_name", "name", *TRILINGUAL),
    ("yes_no", "yes", "Oui", "Ja", "Yes"),
    ("yes_no", "no", "Non", "Nee", "No"),
]
CONSENT_WARNING = ("warning", "consent", "a default consent text was added; review it")
NO_VERSION_WARNING = ("warning", "settings", "the form has no version; 1 used")


def imported(path: Path) -> XlsformImport:
    """Import a form and check that what was carried loads as a questionnaire, whatever the problems."""
    result = import_xlsform(path)
    load_document(result.document, str(path))
    return result


def problems_of(result: XlsformImport) -> list[tuple[str, str, str]]:
    return [(p.severity, p.location, p.message) for p in result.problems]


def questions_of(result: XlsformImport) -> dict[str, dict[str, object]]:
    return {q["id"]: q for q in result.document["questions"]}


def trilingual(fr: str, nl: str, en: str) -> dict[str, str]:
    return {"fr": fr, "nl": nl, "en": en}


def satisfaction_form(folder: Path) -> Path:
    """A trilingual form with skip logic (relevant), a constraint and its messages, and a note."""
    return write_xlsform(
        folder / "satisfaction.xlsx",
        survey=[
            ("type", "name", *TRILINGUAL, "hint::French (fr)", "hint::Dutch (nl)", "hint::English (en)",
             "required", "relevant", "constraint", "constraint_message::French (fr)",
             "constraint_message::Dutch (nl)", "constraint_message::English (en)"),
            ("select_one yes_no", "satisfied", "Êtes-vous satisfait ?", "Bent u tevreden?", "Are you satisfied?",
             None, None, None, "yes"),
            ("integer", "score", "Quelle note ?", "Welke score?", "Which score?", "De 1 à 5", "Van 1 tot 5",
             "From 1 to 5", "TRUE()", "${satisfied} = 'yes'", ". >= 1 and . <= 5", "Entre 1 et 5",
             "Tussen 1 en 5", "Between 1 and 5"),
            ("text", "comment", "Un commentaire ?", "Een opmerking?", "A comment?", None, None, None, None,
             "${score} < 3 or ${satisfied} != 'yes'", "string-length(.) <= 200"),
            ("note", "bye", "Merci !", "Bedankt!", "Thank you!"),
        ],
        choices=YES_NO_CHOICES,
        settings=[
            ("form_title", "form_id", "version", "default_language"),
            ("Satisfaction", "patient_sat", "2026112601", "French (fr)"),
        ],
    )  # fmt: skip


def test_a_translated_form_with_skip_logic_and_constraints_is_imported_exactly(tmp_path: Path) -> None:
    path = satisfaction_form(tmp_path)

    result = imported(path)

    assert problems_of(result) == [CONSENT_WARNING]
    assert result.document == {
        "id": "patient_sat",
        "version": 2026112601,
        "title": trilingual("Satisfaction", "Satisfaction", "Satisfaction"),
        "languages": ["fr", "nl", "en"],
        "default_language": "fr",
        "source": "Imported from the XLSForm satisfaction.xlsx",
        "consent": {"version": DEFAULT_CONSENT_VERSION, "text": dict(DEFAULT_CONSENT)},
        "questions": [
            {
                "id": "satisfied",
                "type": "single_choice",
                "text": trilingual("Êtes-vous satisfait ?", "Bent u tevreden?", "Are you satisfied?"),
                "choices": [
                    {"code": "yes", "label": trilingual("Oui", "Ja", "Yes")},
                    {"code": "no", "label": trilingual("Non", "Nee", "No")},
                ],
            },
            {
                "id": "score",
                "type": "integer",
                "text": trilingual("Quelle note ?", "Welke score?", "Which score?"),
                "hint": trilingual("De 1 à 5", "Van 1 tot 5", "From 1 to 5"),
                "show_if": "satisfied = 'yes'",
                "constraint": ". >= 1 and . <= 5",
                "constraint_message": trilingual("Entre 1 et 5", "Tussen 1 en 5", "Between 1 and 5"),
            },
            {
                "id": "comment",
                "type": "text",
                "text": trilingual("Un commentaire ?", "Een opmerking?", "A comment?"),
                "required": False,
                # XPath's != is true when the question was skipped; ours is false, hence not (…).
                "show_if": "score < 3 or not (satisfied = 'yes')",
                "constraint": "length(.) <= 200",
            },
            {"id": "bye", "type": "note", "text": trilingual("Merci !", "Bedankt!", "Thank you!")},
        ],
    }
    assert yaml.safe_load(result.to_yaml()) == result.document
    assert "Êtes-vous" in result.to_yaml()
    assert load_document(result.document).question("score").show_if_source == "satisfied = 'yes'"


@pytest.mark.parametrize(
    ("language", "replies", "asked", "answers"),
    [
        # Not satisfied: the score is hidden by its relevant, so the comment comes next.
        ("fr", ["oui", "Non", "Trop d'attente"], ["satisfied", "comment", None],
         {"satisfied": "no", "comment": "Trop d'attente"}),
        # Satisfied with a good score: the comment is hidden; 7 breaks the constraint and is asked again.
        ("nl", ["ja", "Ja", "7", "4"], ["satisfied", "score", "score", None], {"satisfied": "yes", "score": 4}),
        # Satisfied with a low score: the comment is asked, and it is optional.
        ("en", ["yes", "yes", "2", ""], ["satisfied", "score", "comment", None], {"satisfied": "yes", "score": 2}),
    ],
)  # fmt: skip
def test_an_imported_form_runs_in_the_engine_with_its_skip_logic_intact(
    tmp_path: Path, language: str, replies: list[str], asked: list[str | None], answers: dict[str, object]
) -> None:
    definition = load_document(import_xlsform(satisfaction_form(tmp_path)).document)
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    turn = start(definition, language, now)
    assert turn.prompt is not None
    assert turn.prompt.question_id == CONSENT_ID
    seen: list[str | None] = []
    for reply in replies:
        turn = advance(definition, turn.state, TextReply(reply), now)
        seen.append(turn.prompt.question_id if turn.prompt else None)

    assert seen == asked
    assert turn.outcome is Outcome.COMPLETED
    assert dict(turn.state.answers) == answers
    assert turn.messages[0] == {"fr": "Merci !", "nl": "Bedankt!", "en": "Thank you!"}[language]


def test_the_constraint_message_of_the_form_is_shown_in_the_respondents_language(tmp_path: Path) -> None:
    definition = load_document(import_xlsform(satisfaction_form(tmp_path)).document)
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    turn = start(definition, "nl", now)
    for reply in ["ja", "Ja", "7"]:
        turn = advance(definition, turn.state, TextReply(reply), now)

    assert turn.outcome is Outcome.REASK
    assert turn.error == "Tussen 1 en 5"


def test_a_group_is_flattened_and_its_condition_joins_each_question(tmp_path: Path) -> None:
    path = write_xlsform(
        tmp_path / "group.xlsx",
        survey=[
            ("type", "name", "label::English (en)", "relevant"),
            ("integer", "age", "Age?"),
            ("begin_group", "adult", "Adults", "${age} >= 18"),
            ("select_one yes_no", "works", "Do you work?"),
            ("text", "job", "Which job?", "${works} = 'yes' or ${works} = 'no'"),
            ("end_group",),
        ],
        choices=[
            ("list_name", "name", "label::English (en)"),
            ("yes_no", "yes", "Yes"),
            ("yes_no", "no", "No"),
        ],
    )

    result = imported(path)

    questions = questions_of(result)
    assert list(questions) == ["age", "works", "job"]
    assert questions["works"]["show_if"] == "age >= 18"
    assert questions["job"]["show_if"] == "age >= 18 and (works = 'yes' or works = 'no')"
    assert problems_of(result) == [
        NO_VERSION_WARNING,
        CONSENT_WARNING,
        (
            "warning",
            'survey row 3 (name "adult")',
            'group "adult" was flattened: its questions are asked one after another',
        ),
    ]


def test_a_group_condition_that_cannot_be_carried_is_an_error_naming_its_questions(tmp_path: Path) -> None:
    path = write_xlsform(
        tmp_path / "group.xlsx",
        survey=[
            ("type", "name", "label", "relevant"),
            ("text", "email", "Email?"),
            ("begin group", "confirm", "Confirm", "regex(${email}, '@')"),
            ("text", "again", "Again?"),
            ("end group",),
        ],
    )

    result = imported(path)

    assert "show_if" not in questions_of(result)["again"]
    assert [p for p in problems_of(result) if p[0] == "error"] == [
        (
            "error",
            'survey row 3 (name "confirm")',
            "relevant expression 'regex(${email}, '@')' cannot be carried: the function regex() is not supported",
        ),
        ("error", 'survey row 3 (name "confirm")', "so these questions are shown regardless of it: again"),
    ]


def test_a_repeat_a_geopoint_and_metadata_are_reported_row_by_row(tmp_path: Path) -> None:
    path = write_xlsform(
        tmp_path / "household.xlsx",
        survey=[
            ("type", "name", "label", "calculation"),
            ("start", "start"),
            ("text", "village", "Village?"),
            ("geopoint", "gps", "Where are you?"),
            ("begin_repeat", "member", "Member"),
            ("text", "member_name", "Name?"),
            ("date", "birth", "Born on?"),
            ("end_repeat",),
            ("calculate", "total", None, "1 + 1"),
            ("integer", "people", "How many people?"),
        ],
    )

    result = imported(path)

    assert list(questions_of(result)) == ["village", "people"]
    assert problems_of(result) == [
        ("warning", "languages", "the form's texts have no language: they were imported as English (en)"),
        NO_VERSION_WARNING,
        CONSENT_WARNING,
        (
            "warning",
            'survey row 2 (name "start")',
            "'start' is metadata recorded by ODK's device; not imported",
        ),
        (
            "error",
            'survey row 4 (name "gps")',
            "'geopoint' questions cannot be carried (no locations); not imported",
        ),
        (
            "error",
            'survey row 5 (name "member")',
            "repeats cannot be carried: neither it nor the rows inside; not imported",
        ),
        ("error", 'survey row 6 (name "member_name")', 'it is inside repeat "member" (row 5); not imported'),
        ("error", 'survey row 7 (name "birth")', 'it is inside repeat "member" (row 5); not imported'),
        (
            "warning",
            'survey row 9 (name "total")',
            "'calculate' asks nothing of the respondent; not imported",
        ),
    ]


def test_select_multiple_conditions_use_selected_and_count(tmp_path: Path) -> None:
    path = write_xlsform(
        tmp_path / "help.xlsx",
        survey=[
            ("type", "name", "label::English (en)", "relevant", "constraint", "constraint_message::English (en)"),
            ("select_multiple help", "helped", "How did we help?", None,
             "not(selected(., 'none') and count-selected(.) > 1)", "'None' goes alone"),
            ("text", "job_detail", "Which job?", "selected(${helped}, 'job')"),
            ("integer", "hours", "How many hours?", "count-selected(${helped}) >= 2"),
            ("note", "only_job", "Only a job, then.", "${helped} = 'job'"),
        ],
        choices=[
            ("list_name", "name", "label::English (en)"),
            ("help", "job", "A job"),
            ("help", "training", "Training"),
            ("help", "none", "None"),
        ],
        settings=[("form_id", "version"), ("help", 7)],
    )  # fmt: skip

    result = imported(path)

    questions = questions_of(result)
    assert questions["helped"]["type"] == "multiple_choice"
    assert questions["helped"]["constraint"] == "not (selected(., 'none') and count(.) > 1)"
    assert questions["helped"]["constraint_message"] == {"en": "'None' goes alone"}
    assert questions["job_detail"]["show_if"] == "selected(helped, 'job')"
    assert questions["hours"]["show_if"] == "count(helped) >= 2"
    # In XPath a select_multiple equals 'job' only when 'job' is the one code chosen.
    assert questions["only_job"]["show_if"] == "(selected(helped, 'job') and count(helped) = 1)"
    assert problems_of(result) == [CONSENT_WARNING]


def test_a_condition_on_a_question_that_was_not_imported_is_an_error(tmp_path: Path) -> None:
    path = write_xlsform(
        tmp_path / "form.xlsx",
        survey=[
            ("type", "name", "label", "relevant", "calculation"),
            ("date", "visit", "Visit date?"),
            ("calculate", "late", None, None, "today() - ${visit} > 30"),
            ("text", "why", "Why so late?", "${late} = 'true'"),
            ("text", "when", "When?", "${visit} != ''"),
        ],
        settings=[("version",), ("1",)],
    )

    result = imported(path)

    assert list(questions_of(result)) == ["why", "when"]
    assert "show_if" not in questions_of(result)["why"]
    errors = [p for p in problems_of(result) if p[0] == "error"]
    assert errors == [
        ("error", 'survey row 2 (name "visit")', "'date' questions cannot be carried (no dates); not imported"),
        ("error", 'survey row 4 (name "why")',
         "relevant expression '${late} = 'true'' cannot be carried: 'late' (row 3) was not imported"),
        ("error", 'survey row 5 (name "when")',
         "relevant expression '${visit} != ''' cannot be carried: 'visit' (row 2) was not imported"),
    ]  # fmt: skip


def test_conditions_may_only_look_back(tmp_path: Path) -> None:
    path = write_xlsform(
        tmp_path / "form.xlsx",
        survey=[
            ("type", "name", "label", "relevant", "constraint"),
            ("text", "first", "First?", "${second} = 'x'"),
            ("integer", "second", "Second?", None, "${second} < 10"),
        ],
        settings=[("version",), ("1",)],
    )

    result = imported(path)

    assert "show_if" not in questions_of(result)["first"]
    assert questions_of(result)["second"]["constraint"] == ". < 10"
    assert [p for p in problems_of(result) if p[0] == "error"] == [
        (
            "error",
            'survey row 2 (name "first")',
            "relevant expression '${second} = 'x'' cannot be carried: 'second' comes later, or has no answer",
        )
    ]


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("regex(${name}, '^[A-Z]')", "the function regex() is not supported"),
        ("${age} + 1 > 18", "arithmetic and paths ('+') are not supported"),
        ("${age} > today()", "the function today() is not supported"),
        ("selected(../name, 'x')", "paths ('..') are not supported"),
        ("${nobody} = 'x'", "'nobody' is not a question of the form"),
        ("${age} = 'old'", "'age' is a number and 'old' is not"),
        (". > 3", "'.' (the answer itself) only makes sense in a constraint"),
        ("${name} > 'A'", "'name' is a text and can't be ordered"),
        ("${age}", "a value on its own is not a condition"),
    ],
)
def test_expressions_outside_the_subset_are_reported_not_dropped(expression: str, problem: str) -> None:
    def resolve(name: str) -> Reference:
        known = {"age": Reference("age", "number"), "name": Reference("name", "text")}
        if name in known:
            return known[name]
        raise UntranslatableExpression(f"'{name}' is not a question of the form")

    with pytest.raises(UntranslatableExpression) as raised:
        translate_expression(expression, resolve)
    assert str(raised.value) == problem


@pytest.mark.parametrize(
    ("expression", "condition"),
    [
        ("${a1}='1'", "a1 = '1'"),
        ("${a1} = 1", "a1 = '1'"),
        ("'2' = ${a1}", "a1 = '2'"),
        ("${a1} != '3'", "not (a1 = '3')"),
        ("${a1} > 2", "a1 > 2"),
        ("${age} >= 15 and ${age} <= 49", "age >= 15 and age <= 49"),
        ("${age} = '20'", "age = 20"),
        ("-1 < ${age}", "age > -1"),
        ("${name} != ''", "answered(name)"),
        ("${name} = ''", "not answered(name)"),
        ("string-length(${name}) > 3", "length(name) > 3"),
        ('${name} = "it\'s"', "name = 'it\\'s'"),
        (
            "selected(${help}, 'job') or selected(${help},'none')",
            "selected(help, 'job') or selected(help, 'none')",
        ),
        ("not(selected(${help}, 'job'))", "not selected(help, 'job')"),
        ("count-selected(${help}) >= 2", "count(help) >= 2"),
        (
            "${help} != 'job training'",
            "not (selected(help, 'job') and selected(help, 'training') and count(help) = 2)",
        ),
        ("${ack} = 'OK'", "ack = 'yes'"),
        ("${ack} = ''", "not (ack = 'yes')"),
        ("(${a1} = '1' or ${a1} = '2') and ${age} < 30", "(a1 = '1' or a1 = '2') and age < 30"),
        ("${a1} = '1' or ${a1} = '2' and ${age} < 30", "a1 = '1' or (a1 = '2' and age < 30)"),
        ("${age} > ${kids}", "age > kids"),
    ],
)
def test_the_xpath_subset_becomes_our_conditions(expression: str, condition: str) -> None:
    operands = {
        "a1": Reference("a1", "choice", ("1", "2", "3")),
        "age": Reference("age", "number"),
        "kids": Reference("kids", "number"),
        "name": Reference("name", "text"),
        "help": Reference("help", "multiple", ("job", "training", "none")),
        "ack": Reference("ack", "acknowledge"),
    }

    translated = translate_expression(expression, operands.__getitem__)

    assert translated == condition
    parse_condition(translated)


def test_languages_we_do_not_support_are_dropped_and_missing_translations_filled(tmp_path: Path) -> None:
    path = write_xlsform(
        tmp_path / "form.xlsx",
        survey=[
            (
                "type",
                "name",
                "label::Français",
                "label::Nederlands",
                "label::Swahili (sw)",
                "hint::Swahili (sw)",
            ),
            ("text", "name", "Votre nom ?", "Uw naam?", "Jina lako?", "Andika"),
            ("integer", "age", "Votre âge ?", None, "Umri wako?"),
        ],
        settings=[("version", "default_language"), ("2", "Français")],
    )

    result = imported(path)

    assert result.document["languages"] == ["fr", "nl"]
    assert result.document["default_language"] == "fr"
    assert questions_of(result)["name"] == {
        "id": "name",
        "type": "text",
        "text": {"fr": "Votre nom ?", "nl": "Uw naam?"},
        "required": False,
    }
    assert questions_of(result)["age"]["text"] == {"fr": "Votre âge ?", "nl": "Votre âge ?"}
    assert problems_of(result) == [
        ("warning", "languages", '"Swahili (sw)" is not one of fr, nl, en: its texts were dropped'),
        CONSENT_WARNING,
        ("warning", 'survey row 3 (name "age")', "missing translations were filled in: nl from fr (label)"),
    ]


def test_a_form_in_none_of_our_languages_is_imported_as_english_with_a_warning(tmp_path: Path) -> None:
    path = write_xlsform(
        tmp_path / "form.xlsx",
        survey=[("type", "name", "label::Swahili (sw)"), ("text", "jina", "Jina lako?")],
        settings=[("default_language", "version"), ("Swahili (sw)", "1")],
    )

    result = imported(path)

    assert result.document["languages"] == ["en"]
    assert questions_of(result)["jina"]["text"] == {"en": "Jina lako?"}
    assert problems_of(result)[0] == (
        "warning",
        "languages",
        'the form\'s texts are in "Swahili (sw)" only: they were imported as English (en)',
    )


def test_a_plain_label_column_next_to_translations_is_taken_as_english(tmp_path: Path) -> None:
    path = write_xlsform(
        tmp_path / "form.xlsx",
        survey=[
            ("type", "name", "label", "label::French (fr)"),
            ("text", "a", "Name?", "Nom ?"),
            ("text", "b", "Age?"),
        ],
        settings=[("version",), ("1",)],
    )

    result = imported(path)

    assert result.document["languages"] == ["fr", "en"]
    assert [q["text"] for q in result.document["questions"]] == [
        {"fr": "Nom ?", "en": "Name?"},
        {"fr": "Age?", "en": "Age?"},
    ]
    assert problems_of(result) == [
        ("warning", "languages", "the texts without a language were imported as English (en)"),
        CONSENT_WARNING,
        ("warning", 'survey row 3 (name "b")', "missing translations were filled in: fr from en (label)"),
    ]


@pytest.mark.parametrize(
    ("version", "kept", "warning"),
    [
        ("3", 3, None),
        ("2026112601", 2026112601, None),
        ("2147483648", 1, "version '2147483648' is not a whole number from 1 to 2147483647; 1 used"),
        ("0", 1, "version '0' is not a whole number from 1 to 2147483647; 1 used"),
        (
            "2022-04-11 16:26",
            1,
            "version '2022-04-11 16:26' is not a whole number from 1 to 2147483647; 1 used",
        ),
    ],
)
def test_the_version_is_kept_when_it_is_a_32_bit_positive_integer(
    tmp_path: Path, version: str, kept: int, warning: str | None
) -> None:
    path = write_xlsform(
        tmp_path / "form.xlsx",
        survey=[("type", "name", "label"), ("text", "q", "Q?")],
        settings=[("version",), (version,)],
    )

    result = imported(path)

    assert result.document["version"] == kept
    settings_problems = [p[2] for p in problems_of(result) if p[1] == "settings"]
    assert settings_problems == ([warning] if warning else [])


def test_names_and_the_form_id_are_made_into_our_ids_and_renames_reported(tmp_path: Path) -> None:
    path = write_xlsform(
        tmp_path / "form.xlsx",
        survey=[
            ("type", "name", "label", "relevant"),
            ("text", "_1", "First?"),
            ("text", "label-test", "Second?", "${_1} != ''"),
            ("text", "not", "Third?"),
        ],
        settings=[("form_id", "version"), ("My form.v2", "1")],
    )

    result = imported(path)

    assert result.document["id"] == "My_form_v2"
    assert list(questions_of(result)) == ["q_1", "label_test", "not_q"]
    assert questions_of(result)["label_test"]["show_if"] == "answered(q_1)"
    assert [p for p in problems_of(result) if "id" in p[2]] == [
        ("warning", "settings", 'the form id "My form.v2" became "My_form_v2"'),
        ("warning", 'survey row 2 (name "_1")', 'the id "q_1" is used for the name "_1"'),
        (
            "warning",
            'survey row 3 (name "label-test")',
            'the id "label_test" is used for the name "label-test"',
        ),
        ("warning", 'survey row 4 (name "not")', 'the id "not_q" is used for the name "not"'),
    ]


def test_or_other_becomes_an_other_choice_and_a_text_question(tmp_path: Path) -> None:
    path = write_xlsform(
        tmp_path / "form.xlsx",
        survey=[("type", "name", *TRILINGUAL), ("select_one colour or_other", "colour", "Couleur ?", "Kleur?", "Colour?")],
        choices=[("list_name", "name", *TRILINGUAL), ("colour", "red", "Rouge", "Rood", "Red"),
                 ("colour", "blue", "Bleu", "Blauw", "Blue")],
        settings=[("version",), ("1",)],
    )  # fmt: skip

    result = imported(path)

    colour, other = result.document["questions"]
    assert [c["code"] for c in colour["choices"]] == ["red", "blue", "other"]
    assert colour["choices"][2]["label"] == trilingual("Autre", "Andere", "Other")
    assert other == {
        "id": "colour_other",
        "type": "text",
        "text": trilingual("Précisez :", "Welke andere?", "Please specify:"),
        "required": False,
        "show_if": "colour = 'other'",
    }
    assert problems_of(result)[1:] == [
        (
            "warning",
            'survey row 2 (name "colour")',
            "or_other became an 'other' choice and the text question colour_other",
        )
    ]


def test_acknowledge_becomes_yes_no_and_range_becomes_scale(tmp_path: Path) -> None:
    path = write_xlsform(
        tmp_path / "form.xlsx",
        survey=[
            ("type", "name", "label", "relevant", "parameters", "required"),
            ("acknowledge", "agree", "I read the rules", None, None, "yes"),
            ("range", "mood", "Your mood today?", "${agree} = 'OK'", "start=0 end=10 step=1", "yes"),
            ("range", "weight", "Your weight?", None, "start=40.5 end=150 step=0.5"),
        ],
        settings=[("version",), ("1",)],
    )

    result = imported(path)

    agree, mood, weight = result.document["questions"]
    assert agree == {"id": "agree", "type": "yes_no", "text": {"en": "I read the rules"}}
    assert mood == {
        "id": "mood", "type": "scale", "text": {"en": "Your mood today?"}, "show_if": "agree = 'yes'", "min": 0, "max": 10
    }  # fmt: skip
    assert (weight["type"], weight["min"], weight["max"]) == ("number", 40.5, 150.0)
    assert [p[2] for p in problems_of(result) if p[1].startswith("survey row")] == [
        "acknowledge was imported as a yes/no question ('OK' is yes)",
        "decimal range imported as a number from 40.5 to 150 (step 0.5 lost)",
    ]


def test_a_decimal_becomes_a_number_question_that_reads_decimal_commas(tmp_path: Path) -> None:
    path = write_xlsform(
        tmp_path / "weight.xlsx",
        survey=[
            ("type", "name", *TRILINGUAL, "constraint"),
            ("decimal", "weight", "Votre poids (kg) ?", "Uw gewicht (kg)?", "Your weight (kg)?", ". > 0 and . <= 300"),
        ],
        settings=[("version", "default_language"), ("1", "French (fr)")],
    )  # fmt: skip

    result = imported(path)

    assert problems_of(result) == [CONSENT_WARNING]
    assert questions_of(result)["weight"] == {
        "id": "weight",
        "type": "number",
        "text": trilingual("Votre poids (kg) ?", "Uw gewicht (kg)?", "Your weight (kg)?"),
        "required": False,
        "constraint": ". > 0 and . <= 300",
    }
    definition = load_document(result.document)
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    turn = advance(definition, start(definition, "fr", now).state, TextReply("oui"), now)
    refused = advance(definition, turn.state, TextReply("0"), now)
    assert refused.outcome is Outcome.REASK
    done = advance(definition, refused.state, TextReply("72,5"), now)
    assert done.outcome is Outcome.COMPLETED
    assert dict(done.state.answers) == {"weight": 72.5}


def test_what_pyxform_rejects_becomes_a_problem_not_a_traceback(tmp_path: Path) -> None:
    path = write_xlsform(
        tmp_path / "broken.xlsx",
        survey=[("type", "name", "label", "relevant"), ("text", "a", "A?", "${nope} = 'x'")],
    )
    not_a_workbook = tmp_path / "notes.xlsx"
    not_a_workbook.write_bytes(b"\x00\x01 not a spreadsheet")

    broken = import_xlsform(path)
    unreadable = import_xlsform(not_a_workbook)

    assert broken.document == {}
    [problem] = broken.problems
    assert (problem.severity, problem.location) == ("error", "file")
    assert problem.message.startswith("pyxform could not read the form: [row : 2]")
    assert "nope" in problem.message
    assert unreadable.document == {}
    assert [p.severity for p in unreadable.problems] == ["error"]
    assert unreadable.to_yaml() == "{}\n"


def test_a_form_where_nothing_can_be_carried_says_so(tmp_path: Path) -> None:
    path = write_xlsform(
        tmp_path / "gps.xlsx", survey=[("type", "name", "label"), ("geopoint", "where", "Where?")]
    )

    result = import_xlsform(path)

    assert result.document["questions"] == []
    assert ("error", "survey", "no question could be imported") in problems_of(result)


SHARED_FILES = sorted(p.name for p in SHARED_FORMS.glob("*.xls*"))


def test_the_fourteen_shared_forms_are_all_here() -> None:
    assert len(SHARED_FILES) == 14


@pytest.mark.parametrize("name", SHARED_FILES)
def test_every_row_of_a_real_form_is_imported_or_reported(name: str) -> None:
    path = SHARED_FORMS / name

    result = import_xlsform(path)

    assert all(isinstance(p, Problem) and p.source == str(path) for p in result.problems)
    ids = set(questions_of(result))
    reported = {p.location for p in result.problems}
    for number, (row_type, row_name) in survey_rows(path).items():
        if row_type.lower().replace("_", " ").startswith(("end group", "end repeat", "end loop")):
            continue
        location = f'survey row {number} (name "{row_name}")' if row_name else f"survey row {number}"
        assert row_name in ids or location in reported, f"row {number} ({row_type} {row_name}) vanished"
    for question in result.document["questions"]:
        for key in ("show_if", "constraint"):
            if key in question:
                parse_condition(question[key])
    assert yaml.safe_load(result.to_yaml()) == result.document


@pytest.mark.parametrize("name", SHARED_FILES)
def test_a_real_form_loads_whenever_a_question_could_be_imported(name: str) -> None:
    result = import_xlsform(SHARED_FORMS / name)

    if result.document["questions"]:
        # Errors say the form was not carried whole, yet what was carried is a valid questionnaire.
        definition = load_document(result.document, name)
        assert [q.id for q in definition.questions] == list(questions_of(result))
    else:
        assert result.errors
        with pytest.raises(DefinitionError):
            load_document(result.document, name)


@pytest.mark.parametrize(
    ("name", "questions", "not_imported", "errors"),
    [
        ("UCL_Biomass_Plot_Form.xlsx", 16, 54, 50),
        ("case_insensitivity.xlsx", 1, 2, 2),
        ("choice_filter_test.xlsx", 3, 0, 2),
        ("group.xlsx", 3, 0, 0),
        ("ict_survey_fails.xls", 1, 0, 0),
        ("loop.xlsx", 2, 2, 2),
        ("or_other.xlsx", 3, 0, 1),
        ("sms_info.xls", 5, 8, 3),
        ("specify_other.xlsx", 2, 0, 0),
        ("text_and_integer.xlsx", 2, 0, 0),
        ("tutorial.xls", 0, 11, 12),
        ("widgets.xls", 23, 9, 9),
        ("xlsform_spec_test.xlsx", 23, 27, 21),
        ("yes_or_no_question.xlsx", 1, 0, 0),
    ],
)
def test_what_each_shared_form_yields(name: str, questions: int, not_imported: int, errors: int) -> None:
    result = import_xlsform(SHARED_FORMS / name)

    dropped_rows = {p.location for p in result.problems if p.message.endswith("not imported")}
    assert (len(result.document["questions"]), len(dropped_rows), len(result.errors)) == (
        questions,
        not_imported,
        errors,
    )
