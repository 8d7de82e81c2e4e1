"""The shape of a definition document (docs/questionnaires.md), as marshmallow schemas.

The schemas check each field on its own and build the frozen dataclasses of ``model.py``. Checks that
look at several fields or items together (translations, references, indicator fit) live in
``question_checks.py`` and ``indicator_checks.py``, and ``schema_problems.py`` turns marshmallow's
messages into located problems; ``validation.py`` runs them all. Use ``loader.load_document`` rather
than these schemas directly: it runs both.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from questionnaires.condition_parser import ConditionSyntaxError, parse_condition
from questionnaires.condition_tree import Condition
from questionnaires.model import (
    LANGUAGES,
    Band,
    Choice,
    Consent,
    Dimension,
    Indicator,
    IndicatorMethod,
    Question,
    Questionnaire,
    QuestionType,
)

QUESTIONNAIRE_ID: Final = r"^[A-Za-z][A-Za-z0-9_-]*$"
QUESTION_ID: Final = r"^[A-Za-z][A-Za-z0-9_]*$"

_BOOLEAN_TRAP: Final = "was read as true/false: put the text in quotes"


class TranslatedField(fields.Field[dict[str, str]]):
    """A text per language: ``{fr: ..., nl: ..., en: ...}`` with known language codes and no empty text."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> dict[str, str]:
        if not isinstance(value, Mapping):
            raise ValidationError("must be a text per language, like {fr: ..., nl: ..., en: ...}")
        errors: list[str] = []
        texts: dict[str, str] = {}
        for language, text in value.items():
            if language not in LANGUAGES:
                errors.append(f"unknown language {language!r} (use {', '.join(LANGUAGES)})")
            elif isinstance(text, bool):
                errors.append(f"{language}: {_BOOLEAN_TRAP}")
            elif not isinstance(text, str | int | float):
                errors.append(f"{language}: must be text")
            elif not str(text).strip():
                errors.append(f"{language}: is empty")
            else:
                texts[language] = str(text)
        if errors:
            raise ValidationError(errors)
        return texts


class CodeField(fields.Field[str]):
    """A code (choice code, consent version): a string; a whole number is accepted and kept as text."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> str:
        if isinstance(value, bool):
            raise ValidationError(_BOOLEAN_TRAP)
        if isinstance(value, int):
            return str(value)
        if not isinstance(value, str):
            raise ValidationError('must be text in quotes, like "1"')
        if not value.strip():
            raise ValidationError("is empty")
        return value


class NumberField(fields.Field[int | float]):
    """A bound or factor: an int stays an int (so scale bounds can be checked as whole numbers)."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> int | float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError("must be a number")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValidationError("must be a finite number")
        return value


def _one_of(values: list[str]) -> validate.OneOf:
    return validate.OneOf(values, error="must be one of: {choices}")


def _condition(source: str | None) -> Condition | None:
    """The parsed condition, or None when it doesn't parse (validation reports it with its position)."""
    if source is None:
        return None
    try:
        return parse_condition(source)
    except ConditionSyntaxError:
        return None


class ChoiceSchema(Schema):
    """One choice: code and translated label."""

    code = CodeField(required=True)
    label = TranslatedField(required=True)

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> Choice:
        return Choice(code=data["code"], label=data["label"])


class QuestionSchema(Schema):
    """One question; ``min`` and ``max`` are read into ``minimum`` and ``maximum``."""

    id = fields.String(required=True, validate=validate.Regexp(QUESTION_ID, error="must match {regex}"))
    type = fields.String(required=True, validate=_one_of([t.value for t in QuestionType]))
    text = TranslatedField(required=True)
    required = fields.Boolean(load_default=True)
    hint = TranslatedField(load_default=None)
    show_if = fields.String(load_default=None)
    constraint = fields.String(load_default=None)
    constraint_message = TranslatedField(load_default=None)
    choices = fields.List(fields.Nested(ChoiceSchema), load_default=list)
    minimum = NumberField(data_key="min", load_default=None)
    maximum = NumberField(data_key="max", load_default=None)
    min_label = TranslatedField(load_default=None)
    max_label = TranslatedField(load_default=None)
    max_length = fields.Integer(
        strict=True, load_default=None, validate=validate.Range(min=1, error="must be at least {min}")
    )

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> Question:
        return Question(
            id=data["id"],
            type=QuestionType(data["type"]),
            text=data["text"],
            required=data["required"],
            choices=tuple(data["choices"]),
            minimum=data["minimum"],
            maximum=data["maximum"],
            min_label=data["min_label"],
            max_label=data["max_label"],
            max_length=data["max_length"],
            hint=data["hint"],
            show_if=_condition(data["show_if"]),
            show_if_source=data["show_if"],
            constraint=_condition(data["constraint"]),
            constraint_source=data["constraint"],
            constraint_message=data["constraint_message"],
        )


class BandSchema(Schema):
    """One band of a ``bands`` indicator."""

    id = fields.String(required=True, validate=validate.Regexp(QUESTION_ID, error="must match {regex}"))
    label = TranslatedField(required=True)
    minimum = NumberField(data_key="min", required=True)
    maximum = NumberField(data_key="max", required=True)

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> Band:
        return Band(id=data["id"], label=data["label"], minimum=data["minimum"], maximum=data["maximum"])


class IndicatorSchema(Schema):
    """One indicator; ``question`` or ``questions`` name what it scores."""

    id = fields.String(required=True, validate=validate.Regexp(QUESTION_ID, error="must match {regex}"))
    title = TranslatedField(required=True)
    dimension = fields.String(required=True, validate=_one_of([d.value for d in Dimension]))
    method = fields.String(required=True, validate=_one_of([m.value for m in IndicatorMethod]))
    question = fields.String(load_default=None)
    questions = fields.List(fields.String(), load_default=None)
    codes = fields.List(CodeField(), load_default=list)
    exclude_codes = fields.List(CodeField(), data_key="exclude", load_default=list)
    rescale = fields.Boolean(load_default=False)
    reverse = fields.List(fields.String(), load_default=list)
    multiplier = NumberField(load_default=1.0)
    bands = fields.List(fields.Nested(BandSchema), load_default=list)
    min_n = fields.Integer(
        strict=True, load_default=5, validate=validate.Range(min=1, error="must be at least {min}")
    )
    description = TranslatedField(load_default=None)
    source = fields.String(load_default=None)

    @validates_schema
    def one_way_to_name_questions(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("question") is not None and data.get("questions") is not None:
            raise ValidationError("give either question or questions, not both")
        if data.get("question") is None and not data.get("questions"):
            raise ValidationError("needs question (or questions, a list)")

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> Indicator:
        questions = (data["question"],) if data["question"] is not None else tuple(data["questions"])
        return Indicator(
            id=data["id"],
            title=data["title"],
            dimension=Dimension(data["dimension"]),
            method=IndicatorMethod(data["method"]),
            questions=questions,
            codes=tuple(data["codes"]),
            exclude=tuple(data["exclude_codes"]),
            rescale=data["rescale"],
            reverse=tuple(data["reverse"]),
            multiplier=float(data["multiplier"]),
            bands=tuple(data["bands"]),
            min_n=data["min_n"],
            description=data["description"],
            source=data["source"],
        )


class ConsentSchema(Schema):
    """The consent request and its version."""

    version = CodeField(required=True)
    text = TranslatedField(required=True)

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> Consent:
        return Consent(version=data["version"], text=data["text"])


class QuestionnaireSchema(Schema):
    """A whole definition document."""

    id = fields.String(required=True, validate=validate.Regexp(QUESTIONNAIRE_ID, error="must match {regex}"))
    version = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, error="must be a positive integer")
    )
    title = TranslatedField(required=True)
    languages = fields.List(
        fields.String(validate=_one_of(list(LANGUAGES))),
        required=True,
        validate=validate.Length(min=1, error="must list at least one language"),
    )
    default_language = fields.String(required=True)
    audience = fields.String(load_default="")
    source = fields.String(load_default=None)
    intro = TranslatedField(load_default=None)
    thanks = TranslatedField(load_default=None)
    consent = fields.Nested(ConsentSchema, required=True)
    questions = fields.List(
        fields.Nested(QuestionSchema),
        required=True,
        validate=validate.Length(min=1, error="must hold at least one question"),
    )
    indicators = fields.List(fields.Nested(IndicatorSchema), load_default=list)

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> Questionnaire:
        return Questionnaire(
            id=data["id"],
            version=data["version"],
            title=data["title"],
            languages=tuple(data["languages"]),
            default_language=data["default_language"],
            consent=data["consent"],
            questions=tuple(data["questions"]),
            indicators=tuple(data["indicators"]),
            audience=data["audience"],
            intro=data["intro"],
            thanks=data["thanks"],
            source=data["source"],
        )


FIELD_NAMES: Final = frozenset(
    field.data_key or name
    for schema in (
        ChoiceSchema,
        QuestionSchema,
        BandSchema,
        IndicatorSchema,
        ConsentSchema,
        QuestionnaireSchema,
    )
    for name, field in schema().load_fields.items()
)
"""Every field name a document may use, to suggest the right one for a misspelt field."""
