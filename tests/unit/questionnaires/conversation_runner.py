"""Tiny definitions stated inline as YAML, and a conversation driven reply by reply, for engine tests."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from questionnaires.engine import advance, start
from questionnaires.loader import load_text
from questionnaires.model import AnswerValue, Questionnaire
from questionnaires.plaintext import render_turn_text
from questionnaires.turns import Prompt, Reply, State, TextReply, Turn

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def questionnaire(body: str, languages: tuple[str, ...] = ("en",)) -> Questionnaire:
    """A definition from the YAML of its questions (and any other fields), with a minimal header."""
    texts = {"fr": "D'accord ?", "nl": "Akkoord?", "en": "Agree?"}
    consent = ", ".join(f"{lang}: {texts[lang]!r}" for lang in languages)
    title = ", ".join(f"{lang}: Test" for lang in languages)
    header = (
        "id: test\n"
        "version: 1\n"
        f"title: {{{title}}}\n"
        f"languages: [{', '.join(languages)}]\n"
        f"default_language: {languages[0]}\n"
        f'consent: {{version: "1", text: {{{consent}}}}}\n'
    )
    return load_text(header + textwrap.dedent(body))


class Conversation:
    """One respondent's conversation: starts at the consent, then takes replies one by one."""

    def __init__(
        self,
        definition: Questionnaire,
        language: str = "en",
        *,
        variables: Mapping[str, str] | None = None,
        now: datetime = T0,
    ) -> None:
        self.definition = definition
        self.variables = dict(variables or {})
        self.now = now
        self.turn = start(definition, language, now, variables=self.variables)
        self.turns = [self.turn]

    def send(self, *replies: str | Reply, idle_limit: timedelta | None = None) -> Turn:
        for reply in replies:
            self.now += timedelta(seconds=30)
            message = TextReply(reply) if isinstance(reply, str) else reply
            self.turn = advance(
                self.definition,
                self.turn.state,
                message,
                self.now,
                variables=self.variables,
                idle_limit=idle_limit,
            )
            self.turns.append(self.turn)
        return self.turn

    @property
    def state(self) -> State:
        return self.turn.state

    @property
    def answers(self) -> dict[str, AnswerValue]:
        return dict(self.turn.state.answers)

    @property
    def prompt(self) -> Prompt:
        assert self.turn.prompt is not None, f"no prompt after {self.turn.outcome}"
        return self.turn.prompt

    @property
    def asked(self) -> str | None:
        return self.turn.prompt.question_id if self.turn.prompt else None

    def texts(self) -> list[str]:
        return render_turn_text(self.turn, self.turn.state.language)
