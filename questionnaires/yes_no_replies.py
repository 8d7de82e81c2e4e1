"""Reading yes or no, to a yes/no question or to the consent, in any of our languages.

A reply to a yes/no question that is no yes/no word is then read as a choice between the labels
"yes" and "no", as a single choice question would read it.
"""

from __future__ import annotations

from typing import Final

from questionnaires.choice_replies import parse_single, without_courtesies
from questionnaires.folding import words
from questionnaires.model import Question
from questionnaires.numbers import read_number
from questionnaires.reply_results import MAX_REPLY_LENGTH, ParsedAnswer, ReplyError

_YES: Final = frozenset(
    {"oui", "ouais", "ouai", "o", "bien sur"}
    | {"ja", "j", "jawel", "jazeker", "zeker"}
    | {"yes", "y", "yeah", "yep", "yup", "of course"}
)
_AGREEMENT: Final = frozenset(
    {"ok", "okay", "oke", "d accord", "volontiers", "akkoord", "goed", "prima", "sure"}
)
_NO: Final = frozenset({"non", "n", "nan", "nee", "neen", "no", "nope", "nah", "not really"})


def _read_yes_no(text: str, yes_words: frozenset[str]) -> bool | None:
    if len(text) > MAX_REPLY_LENGTH:
        return None
    typed = words(text)
    if not typed:
        return None
    kept = without_courtesies(typed)
    phrase = " ".join(kept)
    for candidates, answer in ((yes_words, True), (_NO, False)):
        if phrase in candidates or (len(set(kept)) == 1 and kept[0] in candidates):
            return answer
    number = read_number(text)
    if number == 1 and any(c.isdigit() for c in text):
        return True
    if number == 2 and any(c.isdigit() for c in text):
        return False
    return None


def parse_yes_no(text: str, language: str) -> bool | None:
    """Whether a reply to the consent agrees (True), declines (False) or neither (None).

    Yes/no words of every language count (they never clash), and so do the numbers 1 and 2 shown
    with the consent; words of mere agreement ("ok", "d'accord", "akkoord") count as yes here,
    though not as an answer to a yes/no question ("Did you have a problem?" "OK").
    """
    del language
    return _read_yes_no(text, _YES | _AGREEMENT)


def parse_yes_no_answer(question: Question, text: str, language: str) -> ParsedAnswer | ReplyError:
    """The answer "yes" or "no" to a yes/no question; "ok" is no answer here, unlike at the consent."""
    answer = _read_yes_no(text, _YES)
    if answer is not None:
        return ParsedAnswer("yes" if answer else "no")
    return parse_single(question, text, language)
