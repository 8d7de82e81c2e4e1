"""What an invitation or a reminder says, on each channel and in the contact's language.

SMS and WhatsApp name the campaign's keyword (any reply to an invitation also starts the survey);
Telegram gives the bot's deep link to the campaign. A reminder to someone who already started carries
the question they stopped at, so their next reply answers it.
"""

from __future__ import annotations

from collections.abc import Mapping

from bots.base import Outgoing
from questionnaires import engine
from questionnaires.messages import message
from questionnaires.model import Questionnaire
from questionnaires.turns import State
from service.campaigns import links
from service.models import Campaign, Conversation, MessageKind
from service.settings import Settings

TEXT_CHANNELS = frozenset({"sms", "whatsapp"})


def compose(
    settings: Settings,
    campaign: Campaign,
    *,
    kind: str,
    channel: str,
    language: str,
    org: str,
    questionnaire: Questionnaire | None = None,
    conversation: Conversation | None = None,
) -> Outgoing:
    """The outgoing message for an invitation or reminder (``questionnaire`` is needed to resume a conversation)."""
    variables: Mapping[str, str] = {"org": org}
    transliterate = campaign.transliterate_sms and channel == "sms"
    if kind == MessageKind.REMINDER and conversation is not None and questionnaire is not None:
        state = State.from_json(conversation.state)
        text = message("reminder.resume", state.language, org=org)
        prompt = engine.current_prompt(questionnaire, state, variables=variables)
        return Outgoing(language=state.language, texts=(text,), prompt=prompt, transliterate=transliterate)
    prefix = "reminder" if kind == MessageKind.REMINDER else "invitation"
    found = links(settings, campaign)
    if channel in TEXT_CHANNELS and campaign.sms_keyword:
        text = message(f"{prefix}.keyword", language, org=org, keyword=campaign.sms_keyword)
    else:
        link = (found.telegram_link if channel == "telegram" else None) or found.web_url
        text = message(f"{prefix}.link", language, org=org, link=link)
    return Outgoing(language=language, texts=(text,), transliterate=transliterate)
