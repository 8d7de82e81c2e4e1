"""Every check of a definition, reported together: shape, translations, references, skip logic, indicators.

Errors make a definition unusable; warnings (from ``channel_checks``) point at what will work badly on a
channel, such as an SMS that needs two segments. Each problem names the file, the place
(``question A1``, ``indicator recommend``, ``consent``, or a field) and what is wrong.

The schema checks each field (``schema``, its messages reworded by ``schema_problems``); the cross-checks
(``question_checks``, ``indicator_checks``) then read whatever loaded (``drafts``), so that one run
reports every problem rather than the first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from marshmallow import ValidationError

from questionnaires.channel_checks import check_channels
from questionnaires.documents import read_yaml
from questionnaires.drafts import Draft
from questionnaires.indicator_checks import IndicatorChecks
from questionnaires.model import Questionnaire
from questionnaires.problems import DefinitionError, Problem, ProblemReport
from questionnaires.question_checks import QuestionChecks
from questionnaires.schema import QuestionnaireSchema
from questionnaires.schema_problems import schema_problems


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """The outcome of validating one definition: the questionnaire when usable, errors, warnings."""

    questionnaire: Questionnaire | None
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.questionnaire is not None and not self.errors


def check_document(doc: object, source: str = "<document>") -> tuple[Questionnaire | None, list[Problem]]:
    """The questionnaire in a parsed document and every error in it (the questionnaire is None if any)."""
    if doc is None:
        return None, [Problem(source, "", "the definition is empty")]
    if not isinstance(doc, Mapping):
        return None, [Problem(source, "", "a definition must be a mapping (id:, version:, questions: ...)")]
    report = ProblemReport(source)
    questionnaire: Questionnaire | None = None
    try:
        questionnaire = QuestionnaireSchema().load(doc)
    except ValidationError as exc:
        report.problems.extend(schema_problems(exc.messages, doc, source))
        valid = exc.valid_data if isinstance(exc.valid_data, Mapping) else {}
        draft = Draft.salvage(doc, valid, source)
    else:
        draft = Draft.of(questionnaire, source)
    QuestionChecks(draft, report).run()
    IndicatorChecks(draft, report).run()
    return (None, report.problems) if report.problems else (questionnaire, [])


def validate_document(
    doc: object,
    source: str = "<document>",
    *,
    org_name_length: int = 20,
    transliterate: bool = False,
) -> ValidationReport:
    """Errors and channel warnings for a parsed document, as ``vises questionnaire validate`` shows them."""
    questionnaire, errors = check_document(doc, source)
    if questionnaire is None:
        return ValidationReport(None, errors, [])
    warnings = check_channels(questionnaire, org_name_length=org_name_length, transliterate=transliterate)
    return ValidationReport(questionnaire, [], [replace(w, source=source) for w in warnings])


def validate_file(
    path: str | Path, *, org_name_length: int = 20, transliterate: bool = False
) -> ValidationReport:
    """Errors and channel warnings for a definition file."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
        doc = read_yaml(text, source)
    except OSError as exc:
        return ValidationReport(None, [Problem(source, "", f"can't be read: {exc.strerror or exc}")])
    except UnicodeDecodeError:
        return ValidationReport(None, [Problem(source, "", "is not UTF-8 text")])
    except DefinitionError as exc:
        return ValidationReport(None, list(exc.problems))
    return validate_document(doc, source, org_name_length=org_name_length, transliterate=transliterate)
