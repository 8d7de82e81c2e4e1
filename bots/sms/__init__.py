"""SMS and WhatsApp through Twilio: webhook signatures, inbound parsing, TwiML replies, status callbacks, sending.

The twilio SDK is imported here and nowhere else. Inbound, Twilio posts a signed form to our webhook: its
signature is checked with the SDK's ``RequestValidator`` against the public URL
(:mod:`bots.sms.webhooks`), the form is read into an :class:`~bots.base.Inbound`, and the answer is
TwiML (:mod:`bots.sms.rendering`). Outbound, :class:`~bots.sms.channel.TwilioSmsChannel` sends through
the REST client, and Twilio's refusals become :class:`~bots.base.SendError` (:mod:`bots.sms.failures`).
WhatsApp goes through the same code with ``whatsapp:`` addresses.
"""

from bots.sms.channel import DEFAULT_API_BASE, ProviderMessage, TwilioSmsChannel
from bots.sms.failures import RecipientFailure, recipient_failure
from bots.sms.rendering import BODY_LIMIT, message_body, render_twiml, reply_bodies
from bots.sms.webhooks import (
    SIGNATURE_HEADER,
    WHATSAPP_PREFIX,
    DeliveryReport,
    MalformedWebhook,
    SmsWebhook,
    parse_inbound,
    parse_status_callback,
    sign,
    split_address,
    verify_signature,
)

__all__ = [
    "BODY_LIMIT",
    "DEFAULT_API_BASE",
    "SIGNATURE_HEADER",
    "WHATSAPP_PREFIX",
    "DeliveryReport",
    "MalformedWebhook",
    "ProviderMessage",
    "RecipientFailure",
    "SmsWebhook",
    "TwilioSmsChannel",
    "message_body",
    "parse_inbound",
    "parse_status_callback",
    "recipient_failure",
    "render_twiml",
    "reply_bodies",
    "sign",
    "split_address",
    "verify_signature",
]
