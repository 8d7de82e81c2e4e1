"""``vises questionnaire validate`` with warnings only: they are printed, and the file is still usable."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from service.cli import cli


def _text(fr: str, nl: str, en: str) -> dict[str, str]:
    return {"fr": fr, "nl": nl, "en": en}


def awkward_by_sms(path: Path) -> Path:
    """A valid definition with two things SMS handles badly: a multiple choice and an unbounded text."""
    path.write_text(
        yaml.safe_dump(
            {
                "id": "awkward",
                "version": 1,
                "title": _text("Services", "Diensten", "Services"),
                "languages": ["fr", "nl", "en"],
                "default_language": "fr",
                "consent": {"version": "1", "text": _text("On commence ?", "Beginnen?", "Shall we start?")},
                "questions": [
                    {
                        "id": "used",
                        "type": "multiple_choice",
                        "text": _text("Services utilises ?", "Gebruikte diensten?", "Services used?"),
                        "choices": [
                            {"code": "food", "label": _text("Colis", "Pakket", "Parcel")},
                            {"code": "advice", "label": _text("Conseil", "Advies", "Advice")},
                        ],
                    },
                    {
                        "id": "story",
                        "type": "text",
                        "required": False,
                        "text": _text("Un mot ?", "Een woord?", "A word?"),
                    },
                ],
            }
        )
    )
    return path


def test_warnings_are_printed_and_the_file_is_valid(tmp_path: Path) -> None:
    path = awkward_by_sms(tmp_path / "awkward.yaml")

    result = CliRunner().invoke(cli, ["questionnaire", "validate", str(path)])

    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"{path}: valid")
    assert "2 warning(s)" in result.stdout
    warnings = result.stderr.splitlines()
    assert len(warnings) == 2
    assert all(line.startswith(f"warning: {path}: question ") for line in warnings)
    assert any("used (sms)" in line and "several numbers in one reply" in line for line in warnings)
    assert any("story (sms)" in line and "set max_length: 160 or less" in line for line in warnings)


def test_among_several_files_only_errors_fail_the_run(tmp_path: Path) -> None:
    warned = awkward_by_sms(tmp_path / "awkward.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text(warned.read_text().replace("id: story", "id: used"))

    result = CliRunner().invoke(cli, ["questionnaire", "validate", str(warned), str(broken)])

    assert result.exit_code == 1
    assert f"{warned}: valid" in result.stdout
    assert f"{broken}: invalid" in result.stdout
    assert any(line.startswith(f"error: {broken}") for line in result.stderr.splitlines())
