"""Try a questionnaire as a respondent would, on one channel, before any campaign is launched.

The simulator runs the real conversation service on a throw-away SQLite
database, so keywords, skip logic, re-asks and consent behave exactly as in
production; each reply is then rendered by the channel's own adapter (the SMS
bodies, the Telegram messages and buttons, the web screen).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

from babel.support import NullTranslations, Translations

from bots.base import Inbound, Outgoing
from bots.sms import reply_bodies
from bots.telegram import outgoing_messages
from bots.web import screen_view
from questionnaires import engine
from questionnaires.model import Questionnaire
from questionnaires.replies import parse_yes_no
from questionnaires.segments import count_segments
from questionnaires.turns import CONSENT_ID, AnswerReply, Prompt
from service.accounts import create_organization
from service.campaigns import change_status, create_campaign
from service.conversations import ConversationService
from service.definitions import register_version
from service.migrate import upgrade
from service.runtime import Runtime, build_runtime
from service.settings import load_settings

CHANNELS = ("sms", "telegram", "web")
SIMULATED_ADDRESS = {
    "sms": "+32470000000",
    "telegram": "100000001",
    "web": "simulator-browser-token-0123456789abcdef",
}


@dataclass(frozen=True)
class Exchange:
    """One reply typed by the respondent (None for the opening) and what they received."""

    typed: str | None
    received: list[str]


def simulate(
    questionnaire: Questionnaire,
    replies: Iterable[str],
    *,
    channel: str,
    language: str,
    org_name: str = "Atelier Namur",
    show_segments: bool = False,
) -> Iterator[Exchange]:
    """Open the questionnaire on ``channel`` in ``language``, then send each reply; yield what comes back."""
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {', '.join(CHANNELS)}")
    with tempfile.TemporaryDirectory(prefix="vises-simulate-") as folder:
        runtime = _throwaway_runtime(Path(folder))
        try:
            yield from _Conversation(runtime, questionnaire, channel, language, org_name, show_segments).run(
                replies
            )
        finally:
            runtime.dispose()


def _throwaway_runtime(folder: Path) -> Runtime:
    settings = load_settings(
        {
            "DATABASE_URL": f"sqlite:///{folder / 'simulation.db'}",
            "SECRET_KEY": "s" * 32,
            "DATA_KEY": "d" * 32,
        },
        instance_path=folder,
    )
    runtime = build_runtime(settings)
    upgrade(runtime.engine)
    return runtime


class _Conversation:
    def __init__(
        self,
        runtime: Runtime,
        questionnaire: Questionnaire,
        channel: str,
        language: str,
        org_name: str,
        show_segments: bool,
    ) -> None:
        self.runtime = runtime
        self.questionnaire = questionnaire
        self.channel = channel
        self.language = language
        self.org_name = org_name
        self.show_segments = show_segments
        self.service = ConversationService(runtime)
        self.clock = datetime.now(UTC)
        self.ids = count(1)
        self.prompt: Prompt | None = None
        with runtime.transaction() as session:
            org = create_organization(session, "simulation", name=org_name, short_name=org_name[:20])
            version = register_version(session, org, questionnaire, source="yaml")
            campaign = create_campaign(
                session,
                org,
                version,
                name="Simulation",
                channels=["web", "sms", "telegram"],
                sms_keyword="SIMULATION",
            )
            change_status(session, campaign, "start", now=self.clock - timedelta(minutes=1))
            self.code = campaign.code

    def run(self, replies: Iterable[str]) -> Iterator[Exchange]:
        yield Exchange(None, self._open())
        for line in replies:
            typed = line.rstrip("\r\n")
            yield Exchange(typed, self._send(typed))

    def _inbound(self, **fields: object) -> Inbound:
        self.clock += timedelta(seconds=30)
        return Inbound(
            channel=self.channel,
            address=SIMULATED_ADDRESS[self.channel],
            external_id=f"simulated-{next(self.ids)}",
            received_at=self.clock,
            language_hint=self.language,
            **fields,  # type: ignore[arg-type]
        )

    def _open(self) -> list[str]:
        if self.channel == "sms":
            return self._render(self.service.handle(self._inbound(text="SIMULATION")).outgoing)
        if self.channel == "telegram":
            return self._render(self.service.handle(self._inbound(campaign_code=self.code)).outgoing)
        turn = engine.start(
            self.questionnaire, self.language, self.clock, variables={"org": self.org_name[:20]}
        )
        return self._render(Outgoing(language=self.language, texts=turn.messages, prompt=turn.prompt))

    def _send(self, typed: str) -> list[str]:
        if self.channel == "web" and self.prompt is not None and self.prompt.question_id == CONSENT_ID:
            consent = "yes" if typed.strip() == "1" or parse_yes_no(typed, self.language) else typed
            inbound = self._inbound(campaign_code=self.code, answer=AnswerReply(CONSENT_ID, consent))
        else:
            inbound = self._inbound(text=typed)
        return self._render(self.service.handle(inbound).outgoing)

    def _render(self, outgoing: Outgoing) -> list[str]:
        if outgoing.prompt is not None:
            self.prompt = outgoing.prompt
        if self.channel == "sms":
            return [self._sms(body) for body in reply_bodies(outgoing, channel="sms")]
        if self.channel == "telegram":
            return [_telegram(text, keyboard) for text, keyboard in _telegram_messages(outgoing)]
        return _web(outgoing, self.questionnaire)

    def _sms(self, body: str) -> str:
        if not self.show_segments:
            return body
        cost = count_segments(body)
        return f"{body}\n  [{cost.characters} characters, {cost.encoding}, {cost.segments} segment(s)]"


def _telegram_messages(outgoing: Outgoing) -> list[tuple[str, list[list[str]]]]:
    return [
        (message.text, [[button.text for button in row] for row in message.keyboard.inline_keyboard])
        if message.keyboard is not None
        else (message.text, [])
        for message in outgoing_messages(outgoing)
    ]


def _telegram(text: str, keyboard: list[list[str]]) -> str:
    rows = ["  " + " ".join(f"[{label}]" for label in row) for row in keyboard]
    return "\n".join([text, *rows])


def _web(outgoing: Outgoing, questionnaire: Questionnaire) -> list[str]:
    """The web screen as text: notes, progress, question, its field, the error and the buttons."""
    notes = [text for text in outgoing.texts if text != outgoing.error]
    prompt = outgoing.prompt
    if prompt is None:
        return ["\n".join(notes)] if notes else []
    max_length = None
    if questionnaire.has_question(prompt.question_id):
        max_length = questionnaire.question(prompt.question_id).max_length
    view = screen_view(
        prompt, language=outgoing.language, notes=notes, error=outgoing.error, max_length=max_length
    )
    lines = [*view.notes]
    if view.shows_progress:
        lines.append(f"[{view.number}/{view.total}]")
    lines.append(view.text)
    if view.hint:
        lines.append(f"  ({view.hint})")
    field = view.field
    if field.widget in ("radio", "consent", "checkbox"):
        box = "[ ]" if field.widget == "checkbox" else "( )"
        lines.extend(f"  {box} {choice.label}" for choice in field.choices)
    elif field.widget == "scale":
        lines.append("  " + " ".join(f"({choice.label})" for choice in field.choices))
        ends = [f"{c.label} = {c.end_label}" for c in field.choices if c.end_label]
        if ends:
            lines.append(f"  {', '.join(ends)}")
    else:
        limits = " – ".join(x for x in (field.minimum, field.maximum) if x)
        lines.append(f"  [{'_' * 12}]" + (f" ({limits})" if limits else ""))
    if view.error:
        lines.append(f"  ! {view.error}")
    words = _survey_words(outgoing.language)
    buttons = [f"[← {words.gettext('Previous question')}]"] if view.can_go_back else []
    buttons.append(f"[{words.gettext('Next')}]")
    lines.append("  " + " ".join(buttons))
    return ["\n".join(lines)]


def _survey_words(language: str) -> NullTranslations:
    """The web survey's own catalog, so buttons read as they do on the page."""
    folder = Path(__file__).resolve().parent / "web" / "translations" / "survey"
    return Translations.load(str(folder), [language])
