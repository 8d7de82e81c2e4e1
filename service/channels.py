"""The senders of each channel, built from the settings once per process and only when first needed."""

from __future__ import annotations

from bots.base import Sender
from service.runtime import Runtime


class ChannelUnavailable(Exception):
    """The channel is not configured (no Twilio or Telegram credentials)."""


def sender_for(runtime: Runtime, channel: str) -> Sender:
    """The :class:`~bots.base.Sender` for ``channel`` (sms, whatsapp, telegram)."""
    cache = runtime.cache.setdefault("senders", {})
    found = cache.get(channel)
    if found is None:
        found = cache[channel] = _build(runtime, channel)
    return found  # type: ignore[no-any-return]


def _build(runtime: Runtime, channel: str) -> Sender:
    settings = runtime.settings
    if channel in ("sms", "whatsapp"):
        if settings.twilio is None:
            raise ChannelUnavailable(
                "SMS is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER)"
            )
        from bots.sms import TwilioSmsChannel

        twilio = settings.twilio
        sms: Sender = TwilioSmsChannel(
            channel=channel,
            account_sid=twilio.account_sid,
            auth_token=twilio.auth_token,
            from_number=twilio.whatsapp_from
            if channel == "whatsapp" and twilio.whatsapp_from
            else twilio.from_number,
            messaging_service_sid=twilio.messaging_service_sid,
            api_base=twilio.api_base,
            status_callback=f"{settings.public_base_url}/webhooks/twilio/status",
        )
        return sms
    if channel == "telegram":
        if settings.telegram is None:
            raise ChannelUnavailable("Telegram is not configured (TELEGRAM_BOT_TOKEN)")
        from bots.telegram import TelegramChannel
        from service.telegram_rates import telegram_throttle

        telegram: Sender = TelegramChannel(
            token=settings.telegram.bot_token,
            api_base=settings.telegram.api_base,
            throttle=telegram_throttle(runtime),
        )
        return telegram
    raise ChannelUnavailable(f"no sender for the {channel} channel")
