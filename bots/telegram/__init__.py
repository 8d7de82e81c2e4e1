"""The Telegram channel (python-telegram-bot 22): the only package that imports the ``telegram`` SDK.

* :mod:`~bots.telegram.updates` reads updates (webhook JSON or getUpdates) into channel-free messages;
* :mod:`~bots.telegram.callbacks` is the format of our buttons' callback data;
* :mod:`~bots.telegram.replies` renders a reply as Bot API calls, inline keyboards included;
* :mod:`~bots.telegram.channel` makes those calls with one long-lived Bot per process.

Questionnaire state stays in our database and engine: PTB is used for its Bot API client and types,
not for conversations (no ConversationHandler, no persistence).
"""

from bots.telegram.callbacks import TapData, TapKind, resolve
from bots.telegram.channel import ALLOWED_UPDATES, DEFAULT_API_BASE, TelegramChannel, send_error
from bots.telegram.replies import (
    AnswerTap,
    Call,
    EditText,
    RemoveKeyboard,
    SendText,
    edited_calls,
    outdated_tap_calls,
    outgoing_messages,
    reply_calls,
)
from bots.telegram.updates import (
    CHANNEL,
    Ignored,
    Tap,
    TelegramUpdate,
    ledger_id,
    parse_update,
    read_update,
    with_tap_data,
)

__all__ = [
    "ALLOWED_UPDATES",
    "CHANNEL",
    "DEFAULT_API_BASE",
    "AnswerTap",
    "Call",
    "EditText",
    "Ignored",
    "RemoveKeyboard",
    "SendText",
    "Tap",
    "TapData",
    "TapKind",
    "TelegramChannel",
    "TelegramUpdate",
    "edited_calls",
    "ledger_id",
    "outdated_tap_calls",
    "outgoing_messages",
    "parse_update",
    "read_update",
    "reply_calls",
    "resolve",
    "send_error",
    "with_tap_data",
]
