"""``vises questionnaire``: check definitions, import XLSForms, try a questionnaire as a respondent would."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from questionnaires.loader import load_file, load_shipped
from questionnaires.problems import DefinitionError, Problem
from questionnaires.validation import validate_document, validate_file
from questionnaires.xlsform import import_xlsform
from service.simulator import simulate


@click.group()
def questionnaire() -> None:
    """Questionnaire definitions."""


def _show(problems: list[Problem], label: str) -> None:
    for problem in problems:
        click.echo(f"{label}: {problem}", err=True)


@questionnaire.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--org-name-length", default=20, show_default=True, help="Length assumed for {org} in SMS checks."
)
@click.option("--transliterate", is_flag=True, help="Check SMS sizes as sent with transliteration on.")
def validate(files: tuple[Path, ...], org_name_length: int, transliterate: bool) -> None:
    """Check definition files: every error at once (exit 1), warnings printed."""
    failed = 0
    for path in files:
        report = validate_file(path, org_name_length=org_name_length, transliterate=transliterate)
        _show(report.errors, "error")
        _show(report.warnings, "warning")
        if report.errors or report.questionnaire is None:
            failed += 1
            click.echo(f"{path}: invalid ({len(report.errors)} error(s))")
        else:
            q = report.questionnaire
            click.echo(
                f"{path}: valid — {q.id} v{q.version}, {q.answerable_count} questions, "
                f"{len(q.indicators)} indicators, {len(report.warnings)} warning(s)"
            )
    if failed:
        raise SystemExit(1)


@questionnaire.command("import-xlsform")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
def import_command(source: Path, output: Path) -> None:
    """Convert an XLSForm (.xlsx/.xls) into a vises definition; what can't be carried is listed row by row."""
    result = import_xlsform(source)
    _show([p for p in result.problems if p.severity == "warning"], "warning")
    _show(result.errors, "error")
    if not result.document.get("questions"):
        raise click.ClickException(f"{source}: nothing could be imported")
    output.write_text(result.to_yaml(), encoding="utf-8")
    report = validate_document(result.document, str(output))
    _show(report.errors, "error")
    questions = len(result.document.get("questions", []))
    if result.errors or report.errors:
        click.echo(f"{output}: written with {questions} questions, but it has errors to fix before use")
        raise SystemExit(1)
    click.echo(f"{output}: {questions} questions imported, {len(result.problems)} row(s) reported")


@questionnaire.command("simulate")
@click.argument("reference")
@click.option("--channel", type=click.Choice(["sms", "telegram", "web"]), default="sms", show_default=True)
@click.option("--lang", "language", type=click.Choice(["fr", "nl", "en"]), default="fr", show_default=True)
@click.option(
    "--org-name", default="Atelier Namur", show_default=True, help="The name put in place of {org}."
)
@click.option("--segments", is_flag=True, help="SMS: show each message's size, encoding and segments.")
def simulate_command(reference: str, channel: str, language: str, org_name: str, segments: bool) -> None:
    """Answer a questionnaire (a file or a shipped id) from standard input, one reply a line.

    Prints what the respondent would receive on the channel ("<"), and each reply typed (">").
    """
    try:
        definition = load_file(reference) if Path(reference).exists() else load_shipped(reference)
    except KeyError:
        raise click.ClickException(f"no shipped questionnaire {reference!r} and no such file") from None
    except DefinitionError as exc:
        raise click.ClickException(
            "the questionnaire is not valid:\n" + "\n".join(f"  {p}" for p in exc.problems)
        ) from None
    replies = sys.stdin
    for exchange in simulate(
        definition, replies, channel=channel, language=language, org_name=org_name, show_segments=segments
    ):
        if exchange.typed is not None:
            click.echo(f"> {exchange.typed}")
        for received in exchange.received:
            click.echo("< " + received.replace("\n", "\n  "))
