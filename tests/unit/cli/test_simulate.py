"""``vises questionnaire simulate``: every shipped questionnaire, on every channel, in every language."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from questionnaires.loader import load_shipped, shipped_definitions
from questionnaires.messages import message
from service.cli import cli
from service.simulator import simulate


@pytest.mark.parametrize("language", ["fr", "nl", "en"])
@pytest.mark.parametrize("channel", ["sms", "telegram", "web"])
@pytest.mark.parametrize("questionnaire_id", sorted(shipped_definitions()))
def test_scripted_replies_complete_the_questionnaire(
    questionnaire_id: str, channel: str, language: str
) -> None:
    questionnaire = load_shipped(questionnaire_id)
    replies = ["1"] * (questionnaire.answerable_count + 1)
    exchanges = list(simulate(questionnaire, replies, channel=channel, language=language))
    thanks = questionnaire.thanks[language] if questionnaire.thanks else message("thanks", language)
    finished = [
        i
        for i, e in enumerate(exchanges)
        if any(thanks.replace("{org}", "Atelier Namur") in r for r in e.received)
    ]
    assert finished, exchanges[-1]
    assert len(exchanges) <= questionnaire.answerable_count + 2


def test_the_command_prints_what_the_respondent_receives() -> None:
    result = CliRunner().invoke(
        cli,
        ["questionnaire", "simulate", "beneficiaries", "--channel", "sms", "--lang", "nl", "--segments"],
        input="ja\nzeven\n2\n",
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("< Hallo!")
    assert "> ja" in lines
    assert any("Is uw levenskwaliteit veranderd door Atelier Namur?" in line for line in lines)
    reask = lines.index("> zeven") + 1
    assert "nummer van uw keuze" in lines[reask]
    assert any("GSM-7, 1 segment(s)" in line for line in lines)


def test_an_unknown_questionnaire_is_one_line() -> None:
    result = CliRunner().invoke(cli, ["questionnaire", "simulate", "nope"], input="")
    assert result.exit_code == 1
    assert result.output.strip() == "Error: no shipped questionnaire 'nope' and no such file"
