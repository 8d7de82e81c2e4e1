"""The compact numbered rendering for text-only channels (SMS, and Telegram when buttons can't be used).

Every character costs money by SMS, so a question is its text, its numbered choices on the same line
and a short hint in brackets: ``Avez-vous rencontré un problème ? 1 Oui 2 Non``.
"""

from __future__ import annotations

from questionnaires.messages import message
from questionnaires.numbers import format_number
from questionnaires.turns import Prompt, Turn


def _bracket_parts(prompt: Prompt, language: str) -> list[str]:
    parts: list[str] = []
    hint = prompt.hint
    if prompt.kind == "multiple_choice" and len(prompt.options) >= 2:
        keys = f"{prompt.options[0].key} {prompt.options[-1].key}"
        example = message("hint.example", language, keys=keys)
        hint = f"{hint}, {example}" if hint else example
    if hint:
        parts.append(hint)
    elif prompt.kind == "scale" and prompt.minimum is not None and prompt.maximum is not None:
        parts.append(f"{format_number(prompt.minimum, language)}-{format_number(prompt.maximum, language)}")
    if not prompt.required:
        parts.append(message("hint.skip", language))
    return parts


def render_text(prompt: Prompt, language: str) -> str:
    """One prompt as plain text: question, numbered options, then hint and skip marker in brackets."""
    pieces = [prompt.text.strip()]
    pieces.extend(f"{option.key} {option.label}" for option in prompt.options)
    bracket = "; ".join(_bracket_parts(prompt, language))
    if bracket:
        pieces.append(f"({bracket})")
    return " ".join(piece for piece in pieces if piece)


def render_turn_text(turn: Turn, language: str) -> list[str]:
    """The texts a text channel sends for one turn, in order: messages, then the (error and) prompt."""
    texts = [m for m in turn.messages if m.strip()]
    lead = [turn.error] if turn.error else []
    if turn.offer_help:
        lead.append(message("offer_help", language))
    if turn.prompt is not None:
        texts.append(" ".join([*lead, render_text(turn.prompt, language)]))
    elif lead:
        texts.append(" ".join(lead))
    return texts
