"""Translated names for the values staff pages show: roles, statuses, channels, languages."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

ROLE_NAMES = {"owner": _l("Owner"), "editor": _l("Editor"), "viewer": _l("Viewer")}
ROLE_HELP = {
    "owner": _l("everything, including staff accounts and API tokens"),
    "editor": _l("creates and runs campaigns"),
    "viewer": _l("reads campaigns and their counts"),
}
STATUS_NAMES = {
    "draft": _l("Draft"),
    "running": _l("Running"),
    "paused": _l("Paused"),
    "closed": _l("Closed"),
}
CHANNEL_NAMES = {"web": _l("Web"), "sms": _l("SMS"), "telegram": _l("Telegram"), "whatsapp": _l("WhatsApp")}
LANGUAGE_LABELS = {"fr": _l("French"), "nl": _l("Dutch"), "en": _l("English")}
CONTACT_STATUS_NAMES = {
    "pending": _l("Not yet invited"),
    "invited": _l("Invited"),
    "failed": _l("Invitation failed"),
    "opted_out": _l("Opted out"),
}
OUTBOUND_STATUS_NAMES = {
    "queued": _l("Waiting"),
    "sending": _l("Sending"),
    "sent": _l("Sent"),
    "delivered": _l("Delivered"),
    "undelivered": _l("Not delivered"),
    "failed": _l("Failed"),
    "canceled": _l("Canceled"),
}
KIND_NAMES = {
    "intro": _l("Introduction"),
    "consent": _l("Consent"),
    "thanks": _l("Thanks"),
    "single_choice": _l("Single choice"),
    "multiple_choice": _l("Multiple choice"),
    "scale": _l("Scale"),
    "yes_no": _l("Yes / no"),
    "integer": _l("Whole number"),
    "number": _l("Number"),
    "text": _l("Free text"),
    "note": _l("Note"),
}


def context() -> dict[str, Any]:
    return {
        "role_names": ROLE_NAMES,
        "role_help": ROLE_HELP,
        "status_names": STATUS_NAMES,
        "channel_names": CHANNEL_NAMES,
        "language_labels": LANGUAGE_LABELS,
        "contact_status_names": CONTACT_STATUS_NAMES,
        "outbound_status_names": OUTBOUND_STATUS_NAMES,
        "kind_names": KIND_NAMES,
    }
