"""An XLSForm written elsewhere, imported with the CLI, then tried in the simulator with its skip logic."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from service.cli import cli

TRILINGUAL = ("label::French (fr)", "label::Dutch (nl)", "label::English (en)")


def employment_form(path: Path) -> Path:
    """A follow-up form as KoboToolbox users write it: hours if employed, else why not (``relevant``)."""
    workbook = Workbook()
    survey = workbook.active
    assert survey is not None
    survey.title = "survey"
    rows = [
        ("type", "name", *TRILINGUAL, "relevant"),
        ("select_one yes_no", "employed", "Avez-vous un emploi ?", "Hebt u werk?", "Do you have a job?", None),
        ("integer", "hours", "Combien d'heures par semaine ?", "Hoeveel uur per week?",
         "How many hours a week?", "${employed} = 'yes'"),
        ("select_one reasons", "reason", "Pourquoi pas ?", "Waarom niet?", "Why not?", "${employed} = 'no'"),
        ("note", "bye", "Merci !", "Bedankt!", "Thank you!", None),
    ]  # fmt: skip
    choices = [
        ("list_name", "name", *TRILINGUAL),
        ("yes_no", "yes", "Oui", "Ja", "Yes"),
        ("yes_no", "no", "Non", "Nee", "No"),
        ("reasons", "health", "Santé", "Gezondheid", "Health"),
        ("reasons", "care", "Garde d'enfants", "Kinderopvang", "Childcare"),
        ("reasons", "search", "Je cherche", "Ik zoek", "Looking"),
    ]
    settings = [
        ("form_title", "form_id", "version", "default_language"),
        ("Emploi", "job_follow", 3, "French (fr)"),
    ]
    for row in rows:
        survey.append(list(row))
    for name, sheet_rows in (("choices", choices), ("settings", settings)):
        sheet = workbook.create_sheet(name)
        for row in sheet_rows:
            sheet.append(list(row))
    workbook.save(path)
    return path


@pytest.fixture
def imported(tmp_path: Path) -> Path:
    output = tmp_path / "job_follow.yaml"
    result = CliRunner().invoke(
        cli,
        [
            "questionnaire",
            "import-xlsform",
            str(employment_form(tmp_path / "employment.xlsx")),
            "-o",
            str(output),
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert f"{output}: 4 questions imported" in result.stdout
    return output


def simulate(definition: Path, channel: str, language: str, replies: list[str]) -> list[str]:
    result = CliRunner().invoke(
        cli,
        ["questionnaire", "simulate", str(definition), "--channel", channel, "--lang", language],
        input="".join(f"{reply}\n" for reply in replies),
    )
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


@pytest.mark.parametrize("channel", ["sms", "web"])
def test_not_employed_skips_the_hours_and_asks_why(imported: Path, channel: str) -> None:
    lines = simulate(imported, channel, "fr", ["oui", "non", "sant"])

    received = "\n".join(lines)
    assert "Avez-vous un emploi ?" in received
    assert "Pourquoi pas ?" in received
    assert "Combien d'heures" not in received
    assert "Santé" in received
    # The last reply, the start of a label, was understood: the form ends with its closing note.
    assert received.rstrip().endswith("Merci pour vos réponses !")
    assert "Merci !" in lines[lines.index("> sant") + 1]


@pytest.mark.parametrize("channel", ["sms", "web"])
def test_employed_is_asked_the_hours_and_not_why(imported: Path, channel: str) -> None:
    lines = simulate(imported, channel, "en", ["yes", "1", "35"])

    received = "\n".join(lines)
    assert "How many hours a week?" in received
    assert "Why not?" not in received
    assert "Thank you!" in lines[lines.index("> 35") + 1]


def test_a_reply_the_hidden_question_would_take_is_refused_by_the_visible_one(imported: Path) -> None:
    lines = simulate(imported, "sms", "nl", ["ja", "nee", "35", "2"])

    reask = lines.index("> 35") + 1
    assert lines[reask] == "< Dat nummer staat niet in de lijst."
    assert lines[reask + 1].strip().startswith("Waarom niet? 1 Gezondheid 2 Kinderopvang 3 Ik zoek")
    assert lines[lines.index("> 2") + 1] == "< Bedankt!"
