"""Commands a respondent can send at any point, on any channel, in French, Dutch or English.

A keyword is a whole message: "stop" is a command, "je ne veux pas stop" is an answer. Matching ignores
case, accents, spacing, punctuation at either end and a leading "/" (Telegram commands). Add a word by
adding a row to :data:`KEYWORDS`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from questionnaires.folding import fold


class Command(enum.StrEnum):
    """What a keyword asks for; the conversation service carries it out."""

    STOP = "stop"
    """Opt out of every campaign of the organisation on this channel."""
    START = "start"
    """Opt back in after a STOP."""
    HELP = "help"
    LANGUAGE = "language"
    """Switch language (``Keyword.language`` is the new one), or ask which when it is None."""
    RESTART = "restart"
    BACK = "back"
    DELETE = "delete"
    """Erase my answers."""
    ACCESS = "access"
    """Show me the data you hold about me."""


@dataclass(frozen=True, slots=True)
class Keyword:
    """A recognised command; ``language`` is the language it was written in (or switched to), if known."""

    command: Command
    language: str | None = None


KEYWORDS: Final[tuple[tuple[Command, str | None, tuple[str, ...]], ...]] = (
    (Command.STOP, None, ("stop", "stopp", "stopall", "revoke")),
    (Command.STOP, "fr", ("arret", "arreter", "stopper", "desinscrire", "desabonner", "desinscription")),
    (Command.STOP, "nl", ("afmelden", "uitschrijven", "stoppen")),
    (Command.STOP, "en", ("unsubscribe", "cancel", "quit", "end", "optout", "opt out", "opt-out")),
    (Command.START, None, ("start", "unstop")),
    (Command.START, "fr", ("demarrer", "reprendre")),
    (Command.START, "nl", ("aanmelden", "hervatten")),
    (Command.START, "en", ("subscribe", "resume")),
    (Command.HELP, None, ("info", "sos")),
    (Command.HELP, "fr", ("aide", "au secours")),
    (Command.HELP, "nl", ("hulp", "help mij")),
    (Command.HELP, "en", ("help",)),
    (Command.LANGUAGE, None, ("language", "langue", "taal", "lang")),
    (Command.RESTART, "fr", ("recommencer", "reinitialiser")),
    (Command.RESTART, "nl", ("opnieuw", "herbeginnen", "herstart")),
    (Command.RESTART, "en", ("restart", "reset", "start over")),
    (Command.BACK, "fr", ("retour", "precedent", "precedente", "revenir")),
    (Command.BACK, "nl", ("terug", "vorige", "vorig")),
    (Command.BACK, "en", ("back", "previous", "go back")),
    (Command.DELETE, "fr", ("supprimer", "effacer", "supprimer mes donnees", "effacer mes donnees")),
    (Command.DELETE, "nl", ("verwijder", "verwijderen", "wissen", "verwijder mijn gegevens")),
    (Command.DELETE, "en", ("delete", "erase", "delete my data")),
    (Command.ACCESS, "fr", ("mes donnees", "mes infos")),
    (Command.ACCESS, "nl", ("mijn gegevens",)),
    (Command.ACCESS, "en", ("my data",)),
)

LANGUAGE_NAMES: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("fr", ("fr", "francais", "french", "frans", "franstalig")),
    ("nl", ("nl", "nederlands", "neerlandais", "dutch", "vlaams", "flamand", "flemish")),
    ("en", ("en", "english", "anglais", "engels")),
)


def _table() -> dict[str, Keyword]:
    table: dict[str, Keyword] = {}
    for command, language, spellings in KEYWORDS:
        for spelling in spellings:
            table[spelling] = Keyword(command, language)
    for language, names in LANGUAGE_NAMES:
        for name in names:
            table[name] = Keyword(Command.LANGUAGE, language)
    return table


_TABLE: Final = _table()


def classify(text: str) -> Keyword | None:
    """The command a whole message stands for, or None when it is an ordinary reply."""
    stripped = text.strip()
    if stripped and set(stripped) == {"?"}:
        return Keyword(Command.HELP)
    folded = fold(stripped.lstrip("/"))
    command, _, bot = folded.partition("@")
    return _TABLE.get(command if bot and " " not in command else folded)
