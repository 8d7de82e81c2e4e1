"""The web-form channel's adapter: a submitted screen in, a screen to display out (no Flask here).

One screen asks one question. :func:`read_form` turns the fields a browser posted for a screen into a
:class:`Submission` (an answer, "back" or a language switch) and then an :class:`~bots.base.Inbound`;
:func:`screen_view` turns a :class:`~questionnaires.turns.Prompt` into the plain data the templates
display: which widget, its choices, what is already chosen, the hint, the error, the progress.

Every rendered screen carries a fresh submission id (:func:`new_submission_id`) in a hidden field; it
becomes the inbound message's ``external_id``, so the same screen posted twice is stored once.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from bots.base import Inbound
from questionnaires.keywords import Command, Keyword
from questionnaires.model import AnswerValue
from questionnaires.replies import format_number
from questionnaires.turns import CONSENT_ID, AnswerReply, Prompt

CHANNEL: Final = "web"
LANGUAGES: Final = ("fr", "nl", "en")

FIELD_SUBMISSION: Final = "sid"
FIELD_QUESTION: Final = "question"
FIELD_ANSWER: Final = "answer"
FIELD_BACK: Final = "back"
FIELD_LANGUAGE: Final = "language"
FIELD_LANGUAGE_HINT: Final = "lang"
"""The consent screen's language, so the conversation starts in the language the person read."""

MAX_SCALE_BUTTONS: Final = 11
"""A scale with more points than this (0-10 has 11) is typed as a number instead of picked."""

_SUBMISSION_ID: Final = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

Widget = Literal["consent", "radio", "checkbox", "scale", "number", "textarea"]
Action = Literal["answer", "back", "language"]


def new_submission_id() -> str:
    """A random id for one rendered screen (128 bits, URL-safe)."""
    return secrets.token_urlsafe(16)


# --- reading a submitted screen -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Submission:
    """What one posted screen asks for: ``answer`` (with ``reply``), ``back`` or ``language``."""

    submission_id: str
    action: Action
    reply: AnswerReply | None = None
    language: str | None = None
    language_hint: str | None = None
    draft: AnswerValue | None = None
    """The raw answer as posted, to put back in the field if the answer is not accepted."""

    @property
    def is_consent(self) -> bool:
        return self.reply is not None and self.reply.question_id == CONSENT_ID

    def inbound(self, *, address: str, campaign_code: str, received_at: datetime) -> Inbound:
        """The channel-free message for the conversation service."""
        command = Keyword(Command.LANGUAGE, self.language) if self.action == "language" else None
        return Inbound(
            channel=CHANNEL,
            address=address,
            external_id=self.submission_id,
            received_at=received_at,
            answer=self.reply,
            command=command,
            campaign_code=campaign_code,
            language_hint=self.language_hint,
            back=self.action == "back",
        )


def _first(form: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = form.get(name) or ()
    return values[0] if values else None


def read_form(form: Mapping[str, Sequence[str]], prompt: Prompt | None) -> Submission | None:
    """Read a posted screen (field name -> values); ``None`` when it is not a screen we rendered.

    ``prompt`` is the screen the person is on, which says how to read the answer field (several
    checked boxes for a multiple choice, one value otherwise). A language button wins over "back",
    which wins over the answer, as only the button pressed is posted with its value.
    """
    submission_id = _first(form, FIELD_SUBMISSION) or ""
    if not _SUBMISSION_ID.fullmatch(submission_id):
        return None
    hint = _first(form, FIELD_LANGUAGE_HINT)
    hint = hint if hint in LANGUAGES else None
    language = _first(form, FIELD_LANGUAGE)
    if language is not None:
        if language not in LANGUAGES:
            return None
        return Submission(submission_id, "language", language=language, language_hint=hint)
    if FIELD_BACK in form:
        return Submission(submission_id, "back", language_hint=hint)
    question_id = _first(form, FIELD_QUESTION)
    if not question_id:
        return None
    values = tuple(form.get(FIELD_ANSWER) or ())
    raw: str | tuple[str, ...]
    if prompt is not None and prompt.kind == "multiple_choice" and question_id == prompt.question_id:
        raw = tuple(value for value in values if value)
    else:
        raw = values[0] if values else ""
    return Submission(
        submission_id,
        "answer",
        reply=AnswerReply(question_id, raw),
        language_hint=hint,
        draft=raw,
    )


# --- displaying a screen --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChoiceView:
    """One radio button or checkbox: ``value`` is posted, ``label`` is read."""

    id: str
    value: str
    label: str
    checked: bool
    end_label: str | None = None
    """On a scale, what its lowest or highest point means ("not at all likely")."""


@dataclass(frozen=True, slots=True)
class FieldView:
    """The form control that answers the question."""

    widget: Widget
    name: str
    choices: tuple[ChoiceView, ...] = ()
    value: str = ""
    inputmode: str | None = None
    max_length: int | None = None
    minimum: str | None = None
    """The lowest number accepted, written for the reader ("2,5" in French)."""
    maximum: str | None = None
    required: bool = True

    @property
    def has_limits(self) -> bool:
        """Bounds or a length limit are shown under the question."""
        return self.minimum is not None or self.maximum is not None or self.max_length is not None

    @property
    def grouped(self) -> bool:
        """Several controls answer together: a fieldset whose legend is the question."""
        return self.widget in ("radio", "checkbox", "scale", "consent")


@dataclass(frozen=True, slots=True)
class ScreenView:
    """Everything a template needs to show one question (or the consent) and its state."""

    question_id: str
    kind: str
    text: str
    hint: str | None
    field: FieldView
    error: str | None
    notes: tuple[str, ...]
    number: int
    total: int
    can_go_back: bool

    @property
    def hint_id(self) -> str | None:
        return f"{self.field.name}-hint" if self.hint else None

    @property
    def error_id(self) -> str | None:
        return f"{self.field.name}-error" if self.error else None

    @property
    def limits_id(self) -> str | None:
        return f"{self.field.name}-limits" if self.field.has_limits else None

    @property
    def described_by(self) -> str | None:
        """The ``aria-describedby`` of the field: its hint, its limits and its error, when shown."""
        ids = [i for i in (self.hint_id, self.limits_id, self.error_id) if i]
        return " ".join(ids) or None

    @property
    def shows_progress(self) -> bool:
        return self.number > 0 and self.total > 0

    @property
    def percent(self) -> int:
        return round(100 * self.number / self.total) if self.total else 0


def _as_text(value: AnswerValue | None) -> str:
    """An answer as it goes back into a form field (numbers with a dot, as typed on the web)."""
    if value is None or isinstance(value, tuple):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _chosen(value: AnswerValue | None) -> frozenset[str]:
    if isinstance(value, tuple):
        return frozenset(value)
    return frozenset({_as_text(value)}) if value is not None else frozenset()


def _scale_points(prompt: Prompt) -> list[int] | None:
    low, high = prompt.minimum, prompt.maximum
    if low is None or high is None or not float(low).is_integer() or not float(high).is_integer():
        return None
    points = list(range(int(low), int(high) + 1))
    return points if 2 <= len(points) <= MAX_SCALE_BUTTONS else None


def _field(prompt: Prompt, language: str, shown: AnswerValue | None, max_length: int | None) -> FieldView:
    chosen = _chosen(shown)
    kind = prompt.kind
    if kind in ("consent", "single_choice", "yes_no", "multiple_choice"):
        widget: Widget = (
            "consent" if kind == "consent" else "checkbox" if kind == "multiple_choice" else "radio"
        )
        choices = tuple(
            ChoiceView(f"{FIELD_ANSWER}-{index}", option.code, option.label, option.code in chosen)
            for index, option in enumerate(prompt.options, start=1)
        )
        return FieldView(widget, FIELD_ANSWER, choices=choices, required=prompt.required)
    points = _scale_points(prompt) if kind == "scale" else None
    if points is not None:
        ends = {points[0]: prompt.min_label, points[-1]: prompt.max_label}
        choices = tuple(
            ChoiceView(
                f"{FIELD_ANSWER}-{point}", str(point), str(point), str(point) in chosen, ends.get(point)
            )
            for point in points
        )
        return FieldView("scale", FIELD_ANSWER, choices=choices, required=prompt.required)
    if kind in ("scale", "integer", "number"):
        return FieldView(
            "number",
            FIELD_ANSWER,
            value=_as_text(shown),
            inputmode="decimal" if kind == "number" else "numeric",
            minimum=None if prompt.minimum is None else format_number(prompt.minimum, language),
            maximum=None if prompt.maximum is None else format_number(prompt.maximum, language),
            required=prompt.required,
        )
    return FieldView(
        "textarea", FIELD_ANSWER, value=_as_text(shown), max_length=max_length, required=prompt.required
    )


def screen_view(
    prompt: Prompt,
    *,
    language: str,
    notes: Sequence[str] = (),
    error: str | None = None,
    draft: AnswerValue | None = None,
    max_length: int | None = None,
) -> ScreenView:
    """The screen showing ``prompt``: the answer given before (or ``draft``, a refused answer) pre-filled.

    ``max_length`` is the longest text the question accepts (the prompt does not carry it).
    """
    shown = draft if draft is not None else prompt.current_answer
    return ScreenView(
        question_id=prompt.question_id,
        kind=prompt.kind,
        text=prompt.text,
        hint=prompt.hint,
        field=_field(prompt, language, shown, max_length),
        error=error,
        notes=tuple(notes),
        number=prompt.number,
        total=prompt.total,
        can_go_back=prompt.can_go_back,
    )
