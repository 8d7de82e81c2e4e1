"""The conversation engine: from a definition, a state and a reply to the next state and what to say.

Pure and channel-free: no IO, no clock (``now`` is passed in), no exceptions for anything a respondent
can send. The channels and the conversation service wrap it (docs: DESIGN.md, "Shape").

Behaviour worth knowing:

* The consent comes first; "no" ends the conversation (REFUSED) with nothing stored.
* A reply that can't be read is answered with a short reason and the same question (REASK); from the
  third in a row, ``offer_help`` tells the channel to mention HELP and STOP.
* An optional question is skipped with an empty reply, "-" or a skip word (``replies.SKIP_WORDS``);
  a required one can't be.
* Back returns to the previous question answered; its answer stays until a new one replaces it. After
  the correction the conversation goes on at the first shown question that has no answer yet, so
  nobody answers twice; answers of questions the correction hid are dropped (``Turn.removed``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from questionnaires.messages import message
from questionnaires.model import AnswerValue, Question, Questionnaire
from questionnaires.prompts import NO_VARIABLES, Texts, consent_prompt, question_prompt
from questionnaires.replies import parse_answer, parse_reply
from questionnaires.reply_results import ParsedAnswer, ReplyError, Skipped, explain
from questionnaires.turns import (
    CONSENT_ID,
    AnswerReply,
    BackReply,
    LanguageReply,
    Outcome,
    Prompt,
    Reply,
    Stage,
    State,
    TextReply,
    Turn,
)
from questionnaires.visibility import is_visible, kept_answers, next_step, progress
from questionnaires.yes_no_replies import parse_yes_no

HELP_AFTER_FAILURES = 3
"""Consecutive unreadable replies after which the respondent is offered HELP and STOP."""

_FINISHED = frozenset({Stage.COMPLETED, Stage.REFUSED, Stage.EXPIRED})
_CLOSED_MESSAGES = {Stage.COMPLETED: "already_answered", Stage.REFUSED: "refused", Stage.EXPIRED: "expired"}


def start(
    definition: Questionnaire,
    language: str,
    now: datetime,
    *,
    variables: Mapping[str, str] = NO_VARIABLES,
) -> Turn:
    """Open a conversation: the intro (if any), then the consent request."""
    if language not in definition.languages:
        language = definition.default_language
    state = State(
        language=language,
        stage=Stage.CONSENT,
        current=CONSENT_ID,
        answers={},
        history=(),
        failures=0,
        started_at=now,
        updated_at=now,
    )
    intro = Texts(definition, language, variables)(definition.intro)
    return Turn(
        state=state,
        outcome=Outcome.ASKED,
        prompt=current_prompt(definition, state, variables=variables),
        messages=(intro,) if intro else (),
    )


def advance(
    definition: Questionnaire,
    state: State,
    reply: Reply,
    now: datetime,
    *,
    variables: Mapping[str, str] = NO_VARIABLES,
    idle_limit: timedelta | None = None,
) -> Turn:
    """Take one reply: store an answer and ask the next question, or say why not and ask again."""
    return _Conversation(definition, state, now, variables).take(reply, idle_limit)


def current_prompt(
    definition: Questionnaire, state: State, *, variables: Mapping[str, str] = NO_VARIABLES
) -> Prompt | None:
    """The question the respondent is on (to send again after help, a language switch or a pause)."""
    if state.stage is Stage.CONSENT:
        _, total = progress(definition, state.answers, None)
        return consent_prompt(definition, state.language, variables, total=total)
    if state.stage is not Stage.ASKING or state.current is None or not definition.has_question(state.current):
        return None
    question = definition.question(state.current)
    number, total = progress(definition, state.answers, question.id)
    return question_prompt(
        definition,
        question,
        state.language,
        variables,
        number=number,
        total=total,
        can_go_back=_back_target(definition, state.history, state.answers) is not None,
        current_answer=state.answers.get(question.id),
    )


def _back_target(
    definition: Questionnaire, history: tuple[str, ...], answers: Mapping[str, AnswerValue]
) -> int | None:
    """Index in ``history`` of the question "back" returns to: the last one shown that takes an answer."""
    for index in range(len(history) - 1, -1, -1):
        question_id = history[index]
        if not definition.has_question(question_id):
            continue
        question = definition.question(question_id)
        if question.answerable and is_visible(question, answers):
            return index
    return None


@dataclass(frozen=True, slots=True)
class _Conversation:
    definition: Questionnaire
    state: State
    now: datetime
    variables: Mapping[str, str]

    def text(self, key: str, language: str | None = None) -> str:
        return message(key, language or self.state.language)

    def prompt(self, state: State) -> Prompt | None:
        return current_prompt(self.definition, state, variables=self.variables)

    def touched(self, **changes: Any) -> State:
        return replace(self.state, updated_at=self.now, **changes)

    def take(self, reply: Reply, idle_limit: timedelta | None) -> Turn:
        if self.state.stage in _FINISHED:
            closed = self.text(_CLOSED_MESSAGES[self.state.stage])
            return Turn(self.state, Outcome.CLOSED, messages=(closed,))
        if idle_limit is not None and self.now - self.state.updated_at > idle_limit:
            expired = self.touched(stage=Stage.EXPIRED, current=None)
            return Turn(expired, Outcome.EXPIRED, messages=(self.text("expired"),))
        if isinstance(reply, LanguageReply):
            return self.switch_language(reply.language)
        if isinstance(reply, BackReply):
            return self.back()
        if self.state.stage is Stage.CONSENT:
            return self.consent(reply)
        return self.answer(reply)

    def switch_language(self, language: str) -> Turn:
        if language not in self.definition.languages:
            names = ", ".join(code.upper() for code in self.definition.languages)
            state = self.touched()
            error = message("error.language_unavailable", self.state.language, languages=names)
            return Turn(state, Outcome.REASK, self.prompt(state), error=error)
        state = self.touched(language=language)
        return Turn(
            state, Outcome.ASKED, self.prompt(state), messages=(self.text("language_switched", language),)
        )

    def back(self) -> Turn:
        target = None
        if self.state.stage is Stage.ASKING:
            target = _back_target(self.definition, self.state.history, self.state.answers)
        if target is None:
            state = self.touched(failures=0)
            return Turn(state, Outcome.ASKED, self.prompt(state))
        history = self.state.history
        state = self.touched(current=history[target], history=history[:target], failures=0)
        return Turn(state, Outcome.ASKED, self.prompt(state))

    def reask(self, error: str) -> Turn:
        failures = self.state.failures + 1
        state = self.touched(failures=failures)
        return Turn(
            state,
            Outcome.REASK,
            self.prompt(state),
            error=error,
            offer_help=failures >= HELP_AFTER_FAILURES,
        )

    def outdated(self) -> Turn:
        state = self.touched()
        return Turn(state, Outcome.OUTDATED, self.prompt(state))

    def consent(self, reply: TextReply | AnswerReply) -> Turn:
        if isinstance(reply, AnswerReply):
            if reply.question_id != CONSENT_ID:
                return self.outdated()
            raw = reply.raw if isinstance(reply.raw, str) else " ".join(reply.raw)
            agreed = {"yes": True, "no": False}.get(raw, parse_yes_no(raw, self.state.language))
        else:
            agreed = parse_yes_no(reply.text, self.state.language)
        if agreed is None:
            return self.reask(self.text("consent.reask"))
        if not agreed:
            state = self.touched(stage=Stage.REFUSED, current=None, answers={}, history=(), failures=0)
            return Turn(state, Outcome.REFUSED, messages=(self.text("refused"),))
        return self.move_on(answers={}, history=(), after=-1)

    def answer(self, reply: TextReply | AnswerReply) -> Turn:
        current = self.state.current
        if (
            current is None
            or not self.definition.has_question(current)
            or not self.definition.question(current).answerable
        ):
            # A state that doesn't point at a question (stored by another version, say): carry on
            # from the first unanswered question rather than fail.
            return self.move_on(kept_answers(self.definition, self.state.answers), self.state.history, -1)
        if isinstance(reply, AnswerReply) and reply.question_id != current:
            return self.outdated()
        question = self.definition.question(current)
        language = self.state.language
        if isinstance(reply, AnswerReply):
            result = parse_answer(question, reply.raw, language, answers=self.state.answers)
        else:
            result = parse_reply(question, reply.text, language, answers=self.state.answers)
        if isinstance(result, ReplyError):
            return self.reask(explain(result, language))
        return self.store(question, result)

    def store(self, question: Question, result: ParsedAnswer | Skipped) -> Turn:
        answers = {k: v for k, v in self.state.answers.items() if k != question.id}
        stored = None
        if isinstance(result, ParsedAnswer):
            answers[question.id] = result.value
            stored = (question.id, result.value)
        kept = kept_answers(self.definition, answers)
        removed = tuple(k for k in self.state.answers if k not in kept)
        history = (*self.state.history, question.id)
        position = self.definition.position(question.id)
        return self.move_on(kept, history, position, stored=stored, removed=removed)

    def move_on(
        self,
        answers: dict[str, AnswerValue],
        history: tuple[str, ...],
        after: int,
        *,
        stored: tuple[str, AnswerValue] | None = None,
        removed: tuple[str, ...] = (),
    ) -> Turn:
        step = next_step(self.definition, answers, after)
        texts = Texts(self.definition, self.state.language, self.variables)
        notes = tuple(texts.required(note.text) for note in step.notes)
        history = (*history, *step.passed)
        if step.question is None:
            thanks = texts(self.definition.thanks) or self.text("thanks")
            state = self.touched(
                stage=Stage.COMPLETED, current=None, answers=answers, history=history, failures=0
            )
            return Turn(state, Outcome.COMPLETED, messages=(*notes, thanks), answer=stored, removed=removed)
        state = self.touched(
            stage=Stage.ASKING, current=step.question.id, answers=answers, history=history, failures=0
        )
        return Turn(state, Outcome.ASKED, self.prompt(state), messages=notes, answer=stored, removed=removed)
