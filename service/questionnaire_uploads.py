"""Questionnaires uploaded by staff: our YAML format or an XLSForm, checked before anything is stored."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final

from questionnaires.documents import read_yaml
from questionnaires.model import Questionnaire
from questionnaires.problems import DefinitionError, Problem
from questionnaires.validation import validate_document
from questionnaires.xlsform import import_xlsform
from service.texts import N_

YAML_SUFFIXES: Final = (".yaml", ".yml")
XLSFORM_SUFFIXES: Final = (".xlsx", ".xls")
MAX_UPLOAD_BYTES: Final = 5 * 1024 * 1024


@dataclass(frozen=True)
class UploadCheck:
    """The questionnaire when the file is usable, else every error; warnings either way."""

    questionnaire: Questionnaire | None
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    source_kind: str = "yaml"

    @property
    def ok(self) -> bool:
        return self.questionnaire is not None and not self.errors


def check_upload(
    filename: str, data: bytes, *, org_name_length: int = 20, transliterate: bool = False
) -> UploadCheck:
    """Read and validate one uploaded file; nothing raises for a bad file, every problem is reported."""
    name = Path(filename or "").name or "upload"
    suffix = Path(name).suffix.lower()
    if len(data) > MAX_UPLOAD_BYTES:
        return UploadCheck(None, [Problem(name, "file", N_("is larger than 5 MB"))])
    if not data:
        return UploadCheck(None, [Problem(name, "file", N_("is empty"))])
    if suffix in YAML_SUFFIXES:
        try:
            document = read_yaml(data.decode("utf-8"), name)
        except UnicodeDecodeError:
            return UploadCheck(None, [Problem(name, "file", N_("is not UTF-8 text"))])
        except DefinitionError as exc:
            return UploadCheck(None, list(exc.problems))
        kind = "yaml"
    elif suffix in XLSFORM_SUFFIXES:
        with tempfile.TemporaryDirectory(prefix="vises-xlsform-") as folder:
            path = Path(folder) / f"form{suffix}"
            path.write_bytes(data)
            imported = import_xlsform(path)
        problems = [_renamed(p, name) for p in imported.problems]
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            return UploadCheck(None, errors, [p for p in problems if p.severity != "error"], "xlsform")
        document = imported.document
        kind = "xlsform"
        report = validate_document(
            document, name, org_name_length=org_name_length, transliterate=transliterate
        )
        import_warnings = [p for p in problems if p.severity != "error"]
        return UploadCheck(report.questionnaire, report.errors, import_warnings + report.warnings, kind)
    else:
        return UploadCheck(
            None,
            [Problem(name, "file", N_("must be a .yaml or .yml definition, or an XLSForm (.xlsx or .xls)"))],
        )
    report = validate_document(document, name, org_name_length=org_name_length, transliterate=transliterate)
    return UploadCheck(report.questionnaire, report.errors, report.warnings, kind)


def _renamed(problem: Problem, name: str) -> Problem:
    return replace(problem, source=name)
