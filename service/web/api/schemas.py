"""The API's request and response bodies as marshmallow 4 schemas; the OpenAPI document is built from them."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from service.models import CampaignStatus, Channel, ConversationStatus

LANGUAGES = ("fr", "nl", "en")


class ErrorSchema(Schema):
    message = fields.String(required=True, metadata={"description": "What went wrong, in English."})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Field name → its problems, for invalid requests."},
    )


class CountsSchema(Schema):
    contacts = fields.Integer(required=True)
    invited = fields.Integer(
        required=True, metadata={"description": "Contacts whose invitation was accepted by the provider."}
    )
    started = fields.Integer(
        required=True, metadata={"description": "Conversations begun, whatever happened next."}
    )
    in_progress = fields.Integer(required=True)
    completed = fields.Integer(required=True)
    expired = fields.Integer(required=True)
    refused = fields.Integer(required=True, metadata={"description": "Consent refused."})
    opted_out = fields.Integer(required=True)


class CampaignCountsSchema(Schema):
    total = fields.Nested(CountsSchema, required=True)
    by_channel = fields.Dict(keys=fields.String(), values=fields.Nested(CountsSchema), required=True)


class LinksSchema(Schema):
    web_url = fields.String(required=True)
    telegram_link = fields.String(allow_none=True)
    sms_keyword = fields.String(allow_none=True)
    sms_number = fields.String(allow_none=True)


class QuestionnaireRefSchema(Schema):
    id = fields.String(required=True)
    version = fields.Integer(required=True)
    title = fields.String(required=True)


class CampaignSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf([s.value for s in CampaignStatus]))
    channels = fields.List(fields.String(), required=True)
    default_language = fields.String(required=True)
    questionnaire = fields.Nested(QuestionnaireRefSchema, required=True)
    opens_at = fields.AwareDateTime(allow_none=True)
    closes_at = fields.AwareDateTime(allow_none=True)
    target_responses = fields.Integer(allow_none=True)
    sms_keyword = fields.String(allow_none=True)
    transliterate_sms = fields.Boolean(required=True)
    reminder_policy = fields.Dict(required=True)
    idle_limit_hours = fields.Integer(required=True)
    created_at = fields.AwareDateTime(required=True)
    started_at = fields.AwareDateTime(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    baseline = fields.String(
        allow_none=True,
        metadata={
            "description": "Code of the earlier campaign this one follows up (before/after change), or null."
        },
    )
    links = fields.Nested(LinksSchema, required=True)
    counts = fields.Nested(CampaignCountsSchema, required=True)


class CampaignListSchema(Schema):
    items = fields.List(fields.Nested(CampaignSchema), required=True)


class CampaignCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    questionnaire = fields.String(
        load_default=None,
        metadata={"description": "Id of a questionnaire shipped with vises (e.g. beneficiaries)."},
    )
    definition = fields.Dict(
        load_default=None,
        metadata={"description": "A questionnaire in the vises definition format, as a JSON object."},
    )
    channels = fields.List(
        fields.String(validate=validate.OneOf([c.value for c in Channel])),
        required=True,
        validate=validate.Length(min=1),
    )
    default_language = fields.String(load_default=None, validate=validate.OneOf(LANGUAGES))
    opens_at = fields.AwareDateTime(load_default=None)
    closes_at = fields.AwareDateTime(load_default=None)
    target_responses = fields.Integer(load_default=None, validate=validate.Range(min=1))
    sms_keyword = fields.String(load_default=None, validate=validate.Length(min=2, max=20))
    transliterate_sms = fields.Boolean(load_default=False)
    reminder_policy = fields.Dict(load_default=dict)
    idle_limit_hours = fields.Integer(load_default=72, validate=validate.Range(min=1, max=24 * 90))
    baseline = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=16),
        metadata={
            "description": (
                "Code of an earlier campaign of the same organization and questionnaire that this one "
                "follows up (e.g. entry, then exit): its results then show the change for the people "
                "who answered both."
            )
        },
    )

    @validates_schema
    def _one_questionnaire(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if (data.get("questionnaire") is None) == (data.get("definition") is None):
            raise ValidationError(
                "give either questionnaire (a shipped id) or definition (a document)", "questionnaire"
            )


class ContactInSchema(Schema):
    phone = fields.String(required=True, validate=validate.Length(min=3, max=40))
    language = fields.String(load_default=None, validate=validate.OneOf(LANGUAGES))
    name = fields.String(load_default=None, validate=validate.Length(max=200))
    reference = fields.String(load_default=None, validate=validate.Length(max=100))


class ContactsUploadSchema(Schema):
    channel = fields.String(required=True, validate=validate.OneOf(["sms", "telegram", "whatsapp"]))
    region = fields.String(load_default=None, validate=validate.OneOf(["FR", "BE", "NL", "LU"]))
    contacts = fields.List(
        fields.Nested(ContactInSchema), required=True, validate=validate.Length(min=1, max=100_000)
    )


class ContactLineErrorSchema(Schema):
    line = fields.Integer(required=True)
    field = fields.String(allow_none=True)
    message = fields.String(required=True)


class ContactsReportSchema(Schema):
    imported = fields.Integer(required=True)
    already_present = fields.List(
        fields.Integer(),
        required=True,
        metadata={"description": "Lines whose person was already on the list (skipped)."},
    )
    opted_out = fields.Integer(
        required=True, metadata={"description": "Imported people who had opted out: listed, never messaged."}
    )
    errors = fields.List(
        fields.Nested(ContactLineErrorSchema),
        required=True,
        metadata={
            "description": "Every bad line; when there is any, nothing was imported. Line 1 is the header."
        },
    )


class ResponseSchema(Schema):
    id = fields.Integer(required=True, metadata={"description": "The conversation's id."})
    respondent = fields.String(
        required=True, metadata={"description": "A random pseudonym, stable across campaigns."}
    )
    status = fields.String(required=True, validate=validate.OneOf([s.value for s in ConversationStatus]))
    channel = fields.String(required=True)
    language = fields.String(required=True)
    started_at = fields.AwareDateTime(required=True)
    updated_at = fields.AwareDateTime(required=True)
    completed_at = fields.AwareDateTime(allow_none=True)
    answers = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(allow_none=True),
        required=True,
        metadata={"description": "Question id → answer (choice code, list of codes, number or text)."},
    )


class ResponsePageSchema(Schema):
    items = fields.List(fields.Nested(ResponseSchema), required=True)
    next_cursor = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "Pass as ?cursor= for the next page; null on the last."},
    )


class ResponseQuerySchema(Schema):
    cursor = fields.String(load_default=None)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    status = fields.String(load_default=None, validate=validate.OneOf([s.value for s in ConversationStatus]))
