"""The wording of the common definition problems, by code: the English the checks write, kept for translation.

A check reports a common problem by its code and values (``Problem.coded``); the English message is
this template filled in, so ``str(problem)`` and the command line read as before. An interface that
speaks another language looks the same template up in its catalogs (the staff pages do: see
``service.web.staff.definition_problems``). Templates are marked with ``N_``, the keyword pybabel
extracts by default; the core itself never translates. Rarer problems keep a plain English message.

Values are names from the definition (question ids, field names, language codes, question types and
methods as written in the file): they stay as they are in every language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final


def N_(template: str) -> str:
    """``template`` itself, marked for the interfaces' catalogs."""
    return template


TEMPLATES: Final[Mapping[str, str]] = {
    # texts and their translations
    "missing-translation": N_("no %(languages)s translation"),
    "missing-field-translation": N_("%(field)s: no %(languages)s translation"),
    "missing-choice-translation": N_("choice %(choice)r label: no %(languages)s translation"),
    "missing-band-translation": N_("band %(band)s label: no %(languages)s translation"),
    # ids used twice
    "duplicate-question-id": N_("the id is already used by question #%(number)s"),
    "duplicate-indicator-id": N_("another indicator has the same id"),
    "duplicate-choice-code": N_("choice code %(codes)s is used more than once"),
    "duplicate-band-id": N_("band id %(band)r is used more than once"),
    # fields of the wrong kind
    "required": N_("is required"),
    "field-required": N_("%(field)s: is required"),
    "not-known": N_("is not a known field"),
    "not-known-suggestion": N_("is not a known field (did you mean %(suggestion)s?)"),
    "field-not-known": N_("%(field)s: is not a known field"),
    "field-not-known-suggestion": N_("%(field)s: is not a known field (did you mean %(suggestion)s?)"),
    "not-text": N_("must be text"),
    "field-not-text": N_("%(field)s: must be text"),
    "not-whole-number": N_("must be a whole number"),
    "field-not-whole-number": N_("%(field)s: must be a whole number"),
    "not-boolean": N_("must be true or false"),
    "field-not-boolean": N_("%(field)s: must be true or false"),
    "not-list": N_("must be a list"),
    "field-not-list": N_("%(field)s: must be a list"),
    "not-mapping": N_("must be a mapping (field: value)"),
    "field-not-mapping": N_("%(field)s: must be a mapping (field: value)"),
    "empty": N_("is empty"),
    "field-empty": N_("%(field)s: is empty"),
    # questions: fields that don't fit the type
    "field-not-for-type": N_("%(field)s does not apply to a %(type)s question"),
    "too-few-choices": N_("a %(type)s question needs at least 2 choices"),
    "scale-without-bounds": N_("a scale needs min and max"),
    "bound-not-whole": N_("%(field)s must be a whole number for a %(type)s question"),
    "min-above-max": N_("min (%(min)s) is greater than max (%(max)s)"),
    # conditions
    "bad-condition": N_("%(condition)s %(source)r: %(detail)s"),
    "unknown-reference": N_("%(condition)s refers to %(question)s, which is not a question"),
    "unknown-reference-suggestion": N_(
        "%(condition)s refers to %(question)s, which is not a question (did you mean %(suggestion)s?)"
    ),
    "later-reference": N_(
        "%(condition)s refers to %(question)s, which comes later (a condition may only use earlier questions)"
    ),
    "note-reference": N_("%(condition)s refers to %(question)s, a note, which has no answer"),
    "function-not-for-type": N_("%(condition)s: %(function)s() does not apply to %(question)s, a %(type)s"),
    "unknown-choice-code": N_("%(condition)s: %(question)s has no choice %(code)r (its codes: %(codes)s)"),
    # indicators
    "field-not-for-method": N_("%(field)s does not apply to the %(method)s method"),
    "method-takes-one-question": N_("the %(method)s method takes one question"),
    "indicator-unknown-question": N_("refers to %(question)s, which is not a question"),
    "indicator-note-question": N_("refers to %(question)s, a note, which has no answer"),
    "impossible-answer": N_("%(field)s: %(code)r is not a possible answer to %(question)s"),
    "not-numeric": N_(
        "%(method)s needs numeric answers; %(question)s is a %(type)s question without numeric codes"
    ),
    "recommend-not-0-10": N_("recommend needs a 0-10 scale; %(question)s is not one"),
    "bands-not-numeric": N_("bands need a numeric question; %(question)s is a %(type)s"),
    # channel warnings
    "sms-ucs2": N_(
        "is sent as UCS-2 (70 characters a segment) because of %(characters)s: "
        "%(segments)s segment(s) for %(length)s characters"
    ),
    "sms-segments": N_(
        "needs %(segments)s SMS segments (%(units)s characters, %(limit)s fit in one); shorten it"
    ),
    "sms-many-choices": N_("%(count)s choices are many for SMS (more than %(limit)s need two-digit numbers)"),
    "sms-multiple-choice": N_(
        "multiple choice is harder by SMS: respondents must send several numbers in one reply"
    ),
    "sms-long-text": N_(
        "accepts up to %(length)s characters, more than one SMS (%(limit)s); set max_length: %(limit)s or less"
    ),
}
