"""How the problems of an uploaded questionnaire read on the staff pages: in the page's language.

The questionnaire core reports its common problems by code, with the values they name
(``questionnaires.problem_texts``); the staff catalog holds the English templates of those codes, so a
page translates the template and fills in the same values. Problems found by the service itself (an
empty file, a wrong extension) are ``service.texts`` texts. The rarer ones stay in English, as the
command line shows them. A problem's place (``question A1``, ``indicator recommend``, ``survey row 12``)
keeps its ids, and only its words are translated.
"""

from __future__ import annotations

import re

from flask import Flask
from flask_babel import gettext as _

from questionnaires.problem_texts import TEMPLATES
from questionnaires.problems import Problem
from service.web.i18n import translated

_ITEM = re.compile(r"^(question|indicator) (\S+)(.*)$")
_ROW = re.compile(r"^(\w+) row (\d+)(.*)$")


def problem_message(problem: Problem) -> str:
    """What is wrong, in the page's language when the problem is a common one."""
    if problem.code in TEMPLATES:
        return str(_(TEMPLATES[problem.code], **dict(problem.params)))
    return translated(problem.message)


def problem_place(problem: Problem) -> str:
    """Where it is wrong (the file when the problem is about all of it), in the page's language."""
    location = problem.location or problem.source
    if location == "file":
        return str(_("file"))
    if item := _ITEM.match(location):
        kind, ident, rest = item.groups()
        named = _("question %(id)s", id=ident) if kind == "question" else _("indicator %(id)s", id=ident)
        return f"{named}{rest}"
    if row := _ROW.match(location):
        sheet, number, rest = row.groups()
        named = _("%(sheet)s row %(row)s", sheet=sheet, row=number)
        return f"{named}{rest}"
    return location


def init_app(app: Flask) -> None:
    app.add_template_filter(problem_message)
    app.add_template_filter(problem_place)
