"""The campaign form: questionnaire, baseline, name, channels, dates, target, reminders, SMS keyword."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

LOCAL_ZONE = ZoneInfo("Europe/Brussels")
"""France, Wallonia and Flanders share one time zone: dates on the pages are in it."""
UPLOAD = "upload"


class CheckboxesField(SelectMultipleField):  # type: ignore[misc]
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CampaignForm(FlaskForm):  # type: ignore[misc]
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    questionnaire = SelectField(_l("Questionnaire"), validators=[DataRequired()])
    definition_file = FileField(
        _l("Questionnaire file"),
        description=_l(
            "Our YAML format (.yaml) or an XLSForm (.xlsx, .xls). It is checked first: "
            "nothing is saved while it has errors."
        ),
    )
    baseline = SelectField(
        _l("Baseline campaign (optional)"),
        validate_choice=False,  # checked against the organization's campaigns by the view, with a clear error
        description=_l(
            "An earlier campaign with the same questionnaire that this one follows up, for example at "
            "entry, then at exit: the results then show the change for the people who answered both."
        ),
    )
    channels = CheckboxesField(_l("Channels"), validators=[DataRequired()])
    default_language = SelectField(
        _l("Default language"),
        choices=[
            SelectChoice("fr", _l("French")),
            SelectChoice("nl", _l("Dutch")),
            SelectChoice("en", _l("English")),
        ],
        description=_l("For respondents whose language is not known."),
    )
    opens_at = DateTimeLocalField(
        _l("Opens on"),
        format="%Y-%m-%dT%H:%M",
        validators=[Optional()],
        description=_l("Brussels/Paris time. Empty: as soon as it is started."),
    )
    closes_at = DateTimeLocalField(
        _l("Closes on"),
        format="%Y-%m-%dT%H:%M",
        validators=[Optional()],
        description=_l("Brussels/Paris time. Empty: when you close it."),
    )
    target_responses = IntegerField(
        _l("Target number of answers"),
        validators=[Optional(), NumberRange(min=1, max=10_000_000)],
        description=_l("Completed questionnaires you hope for; shown as progress."),
    )
    idle_limit_hours = IntegerField(
        _l("Unfinished conversations expire after (hours)"),
        default=72,
        validators=[DataRequired(), NumberRange(min=1, max=24 * 90)],
    )
    sms_keyword = StringField(
        _l("SMS keyword"),
        validators=[Optional(), Length(max=20)],
        description=_l(
            "The word people text to start. Letters and digits, no spaces; case and accents do not matter. "
            "Empty: one is made from the questionnaire."
        ),
    )
    transliterate_sms = BooleanField(
        _l("Send SMS without accents"),
        description=_l(
            "é becomes e, and so on: messages stay in the 160-character alphabet and cost fewer segments."
        ),
    )
    reminders_enabled = BooleanField(_l("Send reminders"))
    reminder_delays = StringField(
        _l("Reminder days"),
        default="2, 5",
        validators=[Optional(), Length(max=40)],
        description=_l(
            "Days after the invitation, separated by commas: “2, 5” reminds after two days, then after five."
        ),
    )
    reminder_from_hour = IntegerField(
        _l("Not before (hour)"), default=9, validators=[Optional(), NumberRange(min=0, max=23)]
    )
    reminder_until_hour = IntegerField(
        _l("Not after (hour)"), default=19, validators=[Optional(), NumberRange(min=1, max=24)]
    )


def to_utc(value: datetime | None) -> datetime | None:
    """A time typed on the page (local wall-clock time) as a UTC datetime."""
    if value is None:
        return None
    return value.replace(tzinfo=LOCAL_ZONE).astimezone(UTC)


def to_local(value: datetime | None) -> datetime | None:
    """A stored UTC datetime as the page shows it (naive local wall-clock time)."""
    if value is None:
        return None
    return value.astimezone(LOCAL_ZONE).replace(tzinfo=None)
