"""``vises questionnaire validate`` and ``import-xlsform`` as a staff member or integrator runs them."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from questionnaires.loader import shipped_definitions
from service.cli import cli

XLSFORMS = Path(__file__).resolve().parents[2] / "data" / "xlsforms"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_every_shipped_definition_validates() -> None:
    files = [str(p) for p in shipped_definitions().values()]
    code, out, err = run("questionnaire", "validate", *files)
    assert code == 0, err
    assert out.count(": valid") == len(files) >= 4
    assert err == ""


def test_an_invalid_file_lists_every_error_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        yaml.safe_dump(
            {
                "id": "bad",
                "version": 1,
                "title": {"fr": "x", "nl": "x", "en": "x"},
                "languages": ["fr", "nl", "en"],
                "default_language": "fr",
                "consent": {"version": "1", "text": {"fr": "ok ?", "nl": "ok?", "en": "ok?"}},
                "questions": [
                    {
                        "id": "q1",
                        "type": "single_choice",
                        "text": {"fr": "a", "nl": "b"},
                        "choices": [
                            {"code": "1", "label": {"fr": "x", "nl": "x", "en": "x"}},
                            {"code": "1", "label": {"fr": "y", "nl": "y", "en": "y"}},
                        ],
                    },
                    {
                        "id": "q2",
                        "type": "text",
                        "show_if": "nope = '1'",
                        "text": {"fr": "a", "nl": "b", "en": "c"},
                    },
                ],
            }
        )
    )
    code, out, err = run("questionnaire", "validate", str(bad))
    assert code == 1
    assert "invalid" in out
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) >= 3
    assert any("q1" in line and "en" in line for line in lines)
    assert any("q1" in line and "more than once" in line for line in lines)
    assert any("q2" in line and "nope" in line for line in lines)


def test_import_xlsform_writes_a_definition_that_validates(tmp_path: Path) -> None:
    out_file = tmp_path / "yes-no.yaml"
    code, out, err = run(
        "questionnaire", "import-xlsform", str(XLSFORMS / "yes_or_no_question.xlsx"), "-o", str(out_file)
    )
    assert code == 0, err
    assert "imported" in out
    assert "default consent text" in err
    code, _, err = run("questionnaire", "validate", str(out_file))
    assert code == 0, err


def test_import_xlsform_reports_what_cannot_be_carried_row_by_row(tmp_path: Path) -> None:
    code, _, err = run(
        "questionnaire", "import-xlsform", str(XLSFORMS / "tutorial.xls"), "-o", str(tmp_path / "t.yaml")
    )
    assert code == 1
    assert "survey row 2" in err and "repeat" in err
    assert "nothing could be imported" in err
