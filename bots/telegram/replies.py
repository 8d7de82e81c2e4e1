"""What the bot says back: an :class:`~bots.base.Outgoing` as Telegram calls, keyboards included.

A reply is a short list of :data:`Call` values, sent in order by the channel: a tap is acknowledged
first (``answerCallbackQuery``), then the question message it came from is edited to show the chosen
answer (its keyboard goes away), then one message carries the texts and the next question. Choices,
yes/no and scales are inline buttons, each holding the question id and the value
(:mod:`bots.telegram.callbacks`); a 0-10 scale is laid out 6 + 5 so it fits a phone. Free text and
numbers are typed; a multiple choice is typed too ("1 3"), as numbered lines, because buttons can only
send one value. A "back" button appears when the question has one before it, "skip" when it is optional.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, TypeAlias

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import CallbackQueryLimit, MessageLimit

from bots.base import Outgoing
from bots.telegram.callbacks import SKIP, TapKind, answer_data, back_data, language_data
from bots.telegram.updates import Tap, TelegramUpdate
from questionnaires.keywords import Command
from questionnaires.messages import message
from questionnaires.replies import format_number
from questionnaires.turns import Prompt

TEXT_LIMIT: Final = int(MessageLimit.MAX_TEXT_LENGTH)
NOTE_LIMIT: Final = int(CallbackQueryLimit.ANSWER_CALLBACK_QUERY_TEXT_LENGTH)
SCALE_BUTTONS_MAX: Final = 30
"""Larger scales are typed: five rows of six is as much as a phone screen shows well."""
SHORT_LABEL: Final = 10
"""Up to three choices this short share one row."""
CHOSEN_MARK: Final = "✅"
BACK_MARK: Final = "↩"
LANGUAGE_NAMES: Final = (("fr", "Français"), ("nl", "Nederlands"), ("en", "English"))


@dataclass(frozen=True, slots=True)
class SendText:
    """``sendMessage``, with an inline keyboard or none."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None


@dataclass(frozen=True, slots=True)
class EditText:
    """``editMessageText`` without a keyboard: the message keeps its text plus the answer chosen."""

    message_id: int
    text: str


@dataclass(frozen=True, slots=True)
class RemoveKeyboard:
    """``editMessageReplyMarkup`` with no markup: the buttons of an old message go away."""

    message_id: int


@dataclass(frozen=True, slots=True)
class AnswerTap:
    """``answerCallbackQuery``: stops the button's spinner, with a short note when there is one."""

    query_id: str
    text: str | None = None


Call: TypeAlias = SendText | EditText | RemoveKeyboard | AnswerTap


# --- questions ----------------------------------------------------------------------------------------


def question_text(prompt: Prompt, language: str) -> str:
    """The question as a message: progress, text, hint, and numbered choices when they are typed."""
    text = prompt.text.strip()
    if prompt.number and prompt.total:
        text = f"({prompt.number}/{prompt.total}) {text}"
    lines = [text]
    if prompt.kind == "multiple_choice":
        lines.extend(f"{option.key}. {option.label}" for option in prompt.options)
    hint = prompt.hint
    if prompt.kind == "multiple_choice" and len(prompt.options) >= 2:
        keys = f"{prompt.options[0].key} {prompt.options[-1].key}"
        example = message("hint.example", language, keys=keys)
        hint = f"{hint}, {example}" if hint else example
    elif not hint and _typed_number(prompt) and prompt.minimum is not None and prompt.maximum is not None:
        hint = message(
            "hint.range",
            language,
            min=format_number(prompt.minimum, language),
            max=format_number(prompt.maximum, language),
        )
    if hint:
        lines.append(f"({hint})")
    return "\n".join(lines)


def _scale_values(prompt: Prompt) -> list[int] | None:
    low, high = prompt.minimum, prompt.maximum
    if prompt.kind != "scale" or low is None or high is None:
        return None
    if not float(low).is_integer() or not float(high).is_integer():
        return None
    values = list(range(int(low), int(high) + 1))
    return values if 0 < len(values) <= SCALE_BUTTONS_MAX else None


def _typed_number(prompt: Prompt) -> bool:
    return prompt.kind in ("integer", "number") or (prompt.kind == "scale" and _scale_values(prompt) is None)


def scale_rows(count: int) -> list[int]:
    """Buttons per row: one row up to 6, two balanced rows up to 12 (0-10 is 6 + 5), then rows of 6."""
    if count <= 6:
        return [count]
    if count <= 12:
        first = math.ceil(count / 2)
        return [first, count - first]
    return [6] * (count // 6) + ([count % 6] if count % 6 else [])


def _mark(label: str, chosen: bool) -> str:
    return f"{CHOSEN_MARK} {label}" if chosen else label


def question_keyboard(prompt: Prompt, language: str) -> InlineKeyboardMarkup | None:
    """The inline keyboard under a question; None for a typed answer with no back or skip button."""
    current = prompt.current_answer
    rows: list[list[InlineKeyboardButton]] = []
    if prompt.kind in ("consent", "yes_no", "single_choice"):
        buttons = [
            InlineKeyboardButton(
                _mark(option.label, option.code == current),
                callback_data=answer_data(prompt.question_id, option.code),
            )
            for option in prompt.options
        ]
        one_row = prompt.kind != "single_choice" or (
            len(buttons) <= 3 and all(len(option.label) <= SHORT_LABEL for option in prompt.options)
        )
        rows = [buttons] if one_row else [[button] for button in buttons]
    elif (values := _scale_values(prompt)) is not None:
        buttons = [
            InlineKeyboardButton(
                _mark(str(value), value == current), callback_data=answer_data(prompt.question_id, str(value))
            )
            for value in values
        ]
        start = 0
        for size in scale_rows(len(buttons)):
            rows.append(buttons[start : start + size])
            start += size
    last: list[InlineKeyboardButton] = []
    if prompt.can_go_back:
        last.append(
            InlineKeyboardButton(
                f"{BACK_MARK} {message('telegram.back', language)}",
                callback_data=back_data(prompt.question_id),
            )
        )
    if not prompt.required and prompt.kind != "consent":
        last.append(
            InlineKeyboardButton(
                message("telegram.skip", language), callback_data=answer_data(prompt.question_id, SKIP)
            )
        )
    if last:
        rows.append(last)
    return InlineKeyboardMarkup(rows) if rows else None


def language_keyboard() -> InlineKeyboardMarkup:
    """The /language picker: one button per language, named in that language."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(name, callback_data=language_data(code)) for code, name in LANGUAGE_NAMES]]
    )


# --- replies ------------------------------------------------------------------------------------------


def _pack(parts: Sequence[str]) -> list[str]:
    """The parts joined by blank lines into as few messages as fit Telegram's 4096 characters."""
    messages: list[str] = []
    for part in parts:
        rest = part
        while len(rest) > TEXT_LIMIT:
            cut = rest.rfind("\n", 0, TEXT_LIMIT)
            cut = cut if cut > 0 else TEXT_LIMIT
            messages.append(rest[:cut])
            rest = rest[cut:].lstrip("\n")
        if messages and len(messages[-1]) + 2 + len(rest) <= TEXT_LIMIT:
            messages[-1] = f"{messages[-1]}\n\n{rest}"
        else:
            messages.append(rest)
    return messages


def outgoing_messages(outgoing: Outgoing) -> list[SendText]:
    """The messages an Outgoing is sent as: the texts and the question together, the keyboard on the last."""
    parts = [text.strip() for text in outgoing.texts if text.strip()]
    keyboard = None
    if outgoing.prompt is not None:
        parts.append(question_text(outgoing.prompt, outgoing.language))
        keyboard = question_keyboard(outgoing.prompt, outgoing.language)
    if not parts:
        return []
    texts = _pack(parts)
    return [SendText(text) for text in texts[:-1]] + [SendText(texts[-1], keyboard)]


def _acknowledge(tap: Tap, outgoing: Outgoing) -> list[Call]:
    """Show on the tapped message what was chosen, and take its keyboard away."""
    data, message_id = tap.data, tap.message_id
    if data is None or message_id is None:
        return []
    if data.kind is TapKind.BACK:
        return [RemoveKeyboard(message_id)]
    label = tap.button_label
    if data.kind is TapKind.ANSWER:
        prompt = outgoing.prompt
        stored = outgoing.acknowledged_question == data.question
        moved_on = outgoing.ended or (prompt is not None and prompt.question_id != data.question)
        if not stored and not moved_on:
            # Refused (a constraint) or not taken (a paused campaign): the question is sent again, or stays.
            return [RemoveKeyboard(message_id)] if prompt is not None else []
        if stored and outgoing.acknowledged:
            label = outgoing.acknowledged
    if tap.message_text is None or not label:
        return [RemoveKeyboard(message_id)]
    return [EditText(message_id, f"{tap.message_text}\n\n{CHOSEN_MARK} {label}"[:TEXT_LIMIT])]


def outdated_tap_calls(tap: Tap, language: str) -> list[Call]:
    """A tap on an earlier question's keyboard: a short note, and that keyboard goes away."""
    calls: list[Call] = [AnswerTap(tap.query_id, message("telegram.outdated", language)[:NOTE_LIMIT])]
    if tap.message_id is not None:
        calls.append(RemoveKeyboard(tap.message_id))
    return calls


def edited_calls(update: TelegramUpdate) -> list[Call]:
    """An edited message is not read again; the person is told to send a new one."""
    return [SendText(message("telegram.edited", update.language_hint or "fr"))]


def reply_calls(update: TelegramUpdate, outgoing: Outgoing) -> list[Call]:
    """The calls that answer ``update`` with ``outgoing``, in the order they are made."""
    tap = update.tap
    calls: list[Call] = []
    if tap is not None:
        if outgoing.outdated:
            return outdated_tap_calls(tap, outgoing.language)
        calls.append(AnswerTap(tap.query_id))
        calls.extend(_acknowledge(tap, outgoing))
    language = outgoing.language
    command = update.inbound.command if update.inbound is not None else None
    if update.wants_language_picker and not outgoing.ended:
        # The service repeats the question after "choose the language"; the picker replaces both, and the
        # question comes back in the language picked.
        routine = {message("choose_language", language), message("unknown_keyword", language)}
        notes = [text for text in outgoing.texts if text not in routine]
        calls.extend(SendText(text) for text in _pack(notes))
        calls.append(SendText(message("choose_language", language), language_keyboard()))
        return calls
    if (
        update.bare_start
        and outgoing.prompt is None
        and command is not None
        and command.command is Command.HELP
    ):
        # /start with no conversation and no invitation: ask for the code rather than explain the commands.
        calls.append(SendText(message("telegram.ask_code", language)))
        return calls
    calls.extend(outgoing_messages(outgoing))
    return calls
