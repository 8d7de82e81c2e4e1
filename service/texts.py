"""Texts the service says to people: English where it is raised, in the reader's language on a web page.

The service layer knows no Flask and no locale, and its errors are read in English by the command line,
the JSON API and the logs. A rule that a staff page shows is worded with ``N_`` instead of an f-string::

    raise CampaignError(N_("the SMS keyword %(word)s is already used by another campaign", word=keyword))

``N_`` (a keyword pybabel extracts by default) returns a :class:`Text`: the English sentence itself, a
``str`` like any other, that also keeps its template and values. The web layer looks the template up
in its catalogs and fills in the same values (``service.web.i18n.translated``); everything else keeps
using it as the plain string it is. Templates use ``%(name)s`` placeholders, as gettext's do.
"""

from __future__ import annotations

from collections.abc import Mapping


class Text(str):
    """An English sentence that remembers how it was made, so that an interface can say it in another language.

    ``values`` are what the sentence names (a keyword, a number, a line): codes and data, never words to
    translate, except a nested :class:`Text`, which an interface translates in turn.
    """

    template: str
    values: Mapping[str, object]

    def __new__(cls, template: str, values: Mapping[str, object] | None = None) -> Text:
        given = dict(values or {})
        text = super().__new__(cls, template % given if given else template)
        text.template = template
        text.values = given
        return text


def N_(template: str, /, **values: object) -> Text:
    """``template`` filled with ``values`` in English; kept apart too, for a web page to translate."""
    return Text(template, values)
