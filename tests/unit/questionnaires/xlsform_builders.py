"""Build XLSForm workbooks for tests, one table per sheet, as pyxform's own tests state them.

A sheet is a sequence of rows whose first row is the header, so a test reads like the
spreadsheet it stands for::

    write_xlsform(
        tmp_path / "form.xlsx",
        survey=[
            ("type", "name", "label::English (en)"),
            ("integer", "age", "How old are you?"),
        ],
    )
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook

Cell = str | int | float | None
Sheet = Sequence[Sequence[Cell]]


def write_xlsform(
    path: Path,
    *,
    survey: Sheet,
    choices: Sheet | None = None,
    settings: Sheet | None = None,
    **other_sheets: Sheet,
) -> Path:
    """Write an .xlsx workbook with a survey sheet and the optional choices and settings sheets."""
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    workbook.remove(first)
    sheets: dict[str, Sheet | None] = {"survey": survey, "choices": choices, "settings": settings}
    sheets.update(other_sheets)
    for name, rows in sheets.items():
        if rows is None:
            continue
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    workbook.save(path)
    return path


def survey_rows(path: Path) -> dict[int, tuple[str, str]]:
    """The (type, name) of every non-empty survey row of a workbook, keyed by row number.

    Read with pyxform's own workbook reader (it reads .xls and .xlsx alike) so that row
    numbers are the ones pyxform and the importer report.
    """
    from pyxform.xls2json_backends import get_xlsform

    definition = get_xlsform(str(path))
    rows: dict[int, tuple[str, str]] = {}
    for number, row in enumerate(definition.survey or [], start=2):
        cells = {str(key).strip().lower(): str(value).strip() for key, value in row.items()}
        if cells.get("type") or cells.get("name"):
            rows[number] = (cells.get("type", ""), cells.get("name", ""))
    return rows
