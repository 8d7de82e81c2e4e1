"""Reading Telegram updates (a webhook's JSON, or what getUpdates returns) into channel-free messages.

Only private chats are answered. A message becomes an :class:`~bots.base.Inbound`: plain text is left
for the conversation service to read (keywords such as "stop" included), commands are recognised here
(``/start CODE``, ``/start <personal token>``, ``/stop``, ``/help``, ``/language``, ``/restart``,
``/back``), and a tapped button becomes a structured answer, a "back" or a language. Stickers, photos
and voice notes have nothing to read and are answered like HELP; edited messages, group chats, channel
posts and anything malformed are :class:`Ignored`, so that the webhook can still answer 200.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final

from telegram import CallbackQuery, ChatMemberUpdated, Message, Update, User
from telegram.constants import ChatMemberStatus, ChatType, MessageEntityType

from bots.base import Inbound
from bots.telegram.callbacks import TapData, TapKind
from bots.telegram.callbacks import read as read_callback_data
from questionnaires.keywords import Command, Keyword, classify
from questionnaires.turns import AnswerReply

CHANNEL: Final = "telegram"
LANGUAGES: Final = ("fr", "nl", "en")
CAMPAIGN_CODE_MAX: Final = 16
"""Longer /start payloads are personal opt-in tokens (``Contact.link_token``), shorter ones campaign codes."""
HASHED_PREFIX: Final = "#"
"""Marks an id that stayed hashed (no question matched): no question id starts with it."""

_COMMANDS: Final = {
    "stop": Keyword(Command.STOP),
    "help": Keyword(Command.HELP),
    "restart": Keyword(Command.RESTART),
    "back": Keyword(Command.BACK),
    "mydata": Keyword(Command.ACCESS),  # /delete is read by classify(); see service.privacy.requests
}
_LANGUAGE_COMMANDS: Final = frozenset({"language", "langue", "taal", "lang"})
_SPOKEN: Final = {"mesdonnees": "mes donnees", "mijngegevens": "mijn gegevens"}
_PTB_ERRORS: Final = (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError)


class Ignored(enum.StrEnum):
    """Why an update gets no conversation step."""

    MALFORMED = "malformed"
    """Not a Bot API update at all."""
    NOT_PRIVATE = "not_private"
    """A group, supergroup or channel: the bot only talks to one person at a time."""
    EDITED = "edited"
    """An edited message: answered with a short note, never read again."""
    NOT_FOR_US = "not_for_us"
    """An update kind we don't use (inline queries, polls, a chat member change other than a block)."""


@dataclass(frozen=True, slots=True)
class Tap:
    """A tapped inline button: the callback query to answer and the message that carried the keyboard."""

    query_id: str
    data: TapData | None
    """None when the data is in no format of ours (a keyboard from an older version of the bot)."""
    message_id: int | None
    message_text: str | None
    """The question message's text, to edit in the chosen answer; None when Telegram no longer shows it."""
    button_label: str | None


@dataclass(frozen=True, slots=True)
class TelegramUpdate:
    """One update as the conversation service and the reply renderer need it.

    ``inbound`` is what to hand to the conversation service (None when the update is ``ignored``,
    ``blocked``, or a tap whose data we can't read). ``chat_id`` is set for every private chat.
    """

    update_id: int | None
    chat_id: int | None = None
    language_hint: str | None = None
    inbound: Inbound | None = None
    tap: Tap | None = None
    ignored: Ignored | None = None
    blocked: bool = False
    """The person blocked the bot (a ``my_chat_member`` update to "kicked")."""
    unsupported: bool = False
    """A sticker, photo, voice note...: answered like HELP."""
    wants_language_picker: bool = False
    bare_start: bool = False
    """``/start`` without a code: asks for one, unless the person has a conversation or an invitation."""

    @property
    def address(self) -> str | None:
        """The chat as a channel address (hashed before storage, never logged)."""
        return None if self.chat_id is None else str(self.chat_id)

    @property
    def kind(self) -> str:
        """What the update is, for logs (no personal data)."""
        if self.ignored is not None:
            return f"ignored:{self.ignored}"
        if self.blocked:
            return "blocked"
        if self.tap is not None:
            return f"tap:{self.tap.data.kind if self.tap.data else 'unknown'}"
        if self.unsupported:
            return "unsupported"
        if self.inbound is not None and self.inbound.command is not None:
            return f"command:{self.inbound.command.command}"
        return "message"


def parse_update(payload: Any, *, received_at: datetime) -> TelegramUpdate:
    """Read a webhook's JSON body; anything that isn't an update comes back ``Ignored.MALFORMED``."""
    if not isinstance(payload, dict) or type(payload.get("update_id")) is not int:
        return TelegramUpdate(update_id=None, ignored=Ignored.MALFORMED)
    try:
        update = Update.de_json(payload, None)
    except _PTB_ERRORS:
        return TelegramUpdate(update_id=payload["update_id"], ignored=Ignored.MALFORMED)
    return read_update(update, received_at=received_at)


def read_update(update: Update, *, received_at: datetime) -> TelegramUpdate:
    """Read an update PTB has parsed (from getUpdates, or :func:`parse_update`)."""
    if not _well_formed(update):
        return TelegramUpdate(update.update_id, ignored=Ignored.MALFORMED)
    try:
        if update.callback_query is not None:
            return _read_tap(update.update_id, update.callback_query, received_at)
        if update.message is not None:
            return _read_message(update.update_id, update.message, received_at)
        if update.my_chat_member is not None:
            return _read_membership(update.update_id, update.my_chat_member)
        if update.edited_message is not None:
            return _read_edit(update.update_id, update.edited_message)
        if update.channel_post is not None or update.edited_channel_post is not None:
            return TelegramUpdate(update.update_id, ignored=Ignored.NOT_PRIVATE)
    except _PTB_ERRORS:
        return TelegramUpdate(update.update_id, ignored=Ignored.MALFORMED)
    return TelegramUpdate(update.update_id, ignored=Ignored.NOT_FOR_US)


def _well_formed(update: Update) -> bool:
    """Whether what we read has the Bot API's types: PTB's ``de_json`` takes any JSON without checking,
    and a chat id that is not an integer would become someone's identity (found by fuzzing the webhook)."""
    query = update.callback_query
    messages = [update.message, update.edited_message, query.message if query is not None else None]
    for message in messages:
        if message is None:
            continue
        chat = getattr(message, "chat", None)
        if type(getattr(chat, "id", None)) is not int or type(message.message_id) is not int:
            return False
        if isinstance(message, Message) and not isinstance(message.text, str | None):
            return False
    if query is not None and not (isinstance(query.id, str) and isinstance(query.data, str | None)):
        return False
    change = update.my_chat_member
    if change is not None and type(getattr(change.chat, "id", None)) is not int:
        return False
    users = [getattr(m, "from_user", None) for m in messages if m is not None]
    users += [query.from_user if query is not None else None]
    return all(user is None or isinstance(user.language_code, str | None) for user in users)


def language_of(user: User | None) -> str | None:
    """The person's Telegram app language, when it is one of ours ("fr-BE" counts as "fr")."""
    if user is None or not user.language_code:
        return None
    primary = user.language_code.split("-")[0].lower()
    return primary if primary in LANGUAGES else None


def _private(message: Message) -> bool:
    return message.chat.type == ChatType.PRIVATE


def _inbound(
    update_id: int, discriminator: str, chat_id: int, received_at: datetime, **fields: Any
) -> Inbound:
    # The update_id alone is not enough: after a week without updates Telegram restarts the sequence at
    # a random number, which could meet an id already in the ledger and drop a new message as a duplicate.
    return Inbound(
        channel=CHANNEL,
        address=str(chat_id),
        external_id=f"{update_id}/{discriminator}",
        received_at=received_at,
        **fields,
    )


def _read_message(update_id: int, message: Message, received_at: datetime) -> TelegramUpdate:
    if not _private(message):
        return TelegramUpdate(update_id, ignored=Ignored.NOT_PRIVATE)
    chat_id = message.chat.id
    hint = language_of(message.from_user)
    base = TelegramUpdate(update_id, chat_id=chat_id, language_hint=hint)

    def inbound(**fields: Any) -> Inbound:
        return _inbound(
            update_id, f"m{message.message_id}", chat_id, received_at, language_hint=hint, **fields
        )

    text = message.text
    if text is None:
        return replace(base, inbound=inbound(command=Keyword(Command.HELP)), unsupported=True)
    command = _command(message, text)
    if command is None:
        return replace(base, inbound=inbound(text=text))
    name, argument = command
    if name == "start":
        if not argument:
            return replace(base, inbound=inbound(command=Keyword(Command.HELP)), bare_start=True)
        if len(argument) > CAMPAIGN_CODE_MAX:
            return replace(base, inbound=inbound(link_token=argument))
        return replace(base, inbound=inbound(campaign_code=argument))
    if name in _LANGUAGE_COMMANDS or name in LANGUAGES:
        chosen = classify(argument or name)
        if chosen is not None and chosen.command is Command.LANGUAGE and chosen.language:
            return replace(base, inbound=inbound(command=chosen))
        return replace(base, inbound=inbound(command=Keyword(Command.LANGUAGE)), wants_language_picker=True)
    spoken = _SPOKEN.get(name, name.replace("_", " "))  # commands are one word: /my_data
    keyword = _COMMANDS.get(name) or classify(spoken) or Keyword(Command.HELP)
    return replace(base, inbound=inbound(command=keyword))


def _command(message: Message, text: str) -> tuple[str, str] | None:
    """``("start", "K7RMXP2Q")`` for "/start K7RMXP2Q" (or "/start@our_bot K7RMXP2Q"); None for text."""
    for entity in message.entities:
        if entity.type == MessageEntityType.BOT_COMMAND and entity.offset == 0:
            word = message.parse_entity(entity)
            name = word.removeprefix("/").partition("@")[0].lower()
            argument = text[len(word) :].strip()
            return name, argument.split()[0] if argument else ""
    return None


def _read_tap(update_id: int, query: CallbackQuery, received_at: datetime) -> TelegramUpdate:
    message = query.message
    if message is None:
        return TelegramUpdate(update_id, ignored=Ignored.NOT_FOR_US)
    if message.chat.type != ChatType.PRIVATE:
        return TelegramUpdate(update_id, ignored=Ignored.NOT_PRIVATE)
    text, label = None, None
    if isinstance(message, Message) and message.is_accessible:
        text = message.text
        label = _button_label(message, query.data)
    tap = Tap(
        query_id=query.id,
        data=read_callback_data(query.data),
        message_id=message.message_id,
        message_text=text,
        button_label=label,
    )
    update = TelegramUpdate(
        update_id, chat_id=message.chat.id, language_hint=language_of(query.from_user), tap=tap
    )
    return with_tap_data(update, tap.data, received_at=received_at)


def with_tap_data(update: TelegramUpdate, data: TapData | None, *, received_at: datetime) -> TelegramUpdate:
    """The update with its tap's data replaced (once hashed ids are resolved), and the matching Inbound."""
    tap = update.tap
    if tap is None or update.chat_id is None:
        return update
    tap = replace(tap, data=data)
    if data is None:
        return replace(update, tap=tap, inbound=None)
    fields: dict[str, Any] = {"language_hint": update.language_hint}
    if data.kind is TapKind.ANSWER and data.question and data.value:
        prefix = HASHED_PREFIX if data.hashed else ""
        fields["answer"] = AnswerReply(prefix + data.question, prefix + data.value)
    elif data.kind is TapKind.BACK:
        fields["back"] = True
    elif data.kind is TapKind.LANGUAGE and data.value in LANGUAGES:
        fields["command"] = Keyword(Command.LANGUAGE, data.value)
    else:
        return replace(update, tap=replace(tap, data=None), inbound=None)
    inbound = _inbound(update.update_id or 0, f"q{tap.query_id}", update.chat_id, received_at, **fields)
    return replace(update, tap=tap, inbound=inbound)


def _button_label(message: Message, data: str | None) -> str | None:
    markup = message.reply_markup
    if markup is None or data is None:
        return None
    for row in markup.inline_keyboard:
        for button in row:
            if button.callback_data == data:
                return button.text
    return None


def _read_membership(update_id: int, change: ChatMemberUpdated) -> TelegramUpdate:
    if change.chat.type != ChatType.PRIVATE:
        return TelegramUpdate(update_id, ignored=Ignored.NOT_PRIVATE)
    if change.new_chat_member.status == ChatMemberStatus.BANNED:
        return TelegramUpdate(update_id, chat_id=change.chat.id, blocked=True)
    return TelegramUpdate(update_id, chat_id=change.chat.id, ignored=Ignored.NOT_FOR_US)


def _read_edit(update_id: int, message: Message) -> TelegramUpdate:
    if not _private(message):
        return TelegramUpdate(update_id, ignored=Ignored.NOT_PRIVATE)
    return TelegramUpdate(
        update_id,
        chat_id=message.chat.id,
        language_hint=language_of(message.from_user),
        ignored=Ignored.EDITED,
    )


def ledger_id(update: TelegramUpdate) -> str:
    """The id an update without an Inbound (an edit, a block, an unreadable tap) is deduplicated under."""
    if update.inbound is not None:
        return update.inbound.external_id
    if update.tap is not None:
        return f"{update.update_id}/q{update.tap.query_id}"
    return f"{update.update_id}/{'blocked' if update.blocked else 'e'}"
