"""Sending SMS and WhatsApp messages through Twilio's REST API (the :class:`~bots.base.Sender` of both)."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

from requests.exceptions import ConnectTimeout, RequestException
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from bots.base import Outgoing, SendError, SendResult
from bots.sms.failures import int_or_none, retry_after_seconds, send_error
from bots.sms.rendering import BODY_LIMIT, message_body
from bots.sms.webhooks import WHATSAPP_PREFIX
from questionnaires.segments import count_segments

_http_log = logging.getLogger("bots.sms.http")

DEFAULT_API_BASE: Final = "https://api.twilio.com"


class _OriginHttpClient(TwilioHttpClient):
    """The SDK's HTTP client, sending to another origin when asked (a local fake Twilio in tests).

    It also keeps the Retry-After of a 429 (the SDK's exception doesn't carry headers) and logs only
    method, path and status: the SDK's own logging would print query strings, which hold phone numbers.
    """

    def __init__(self, origin: str | None, *, timeout: float) -> None:
        super().__init__(timeout=timeout, logger=_http_log)
        self._origin = urlsplit(origin) if origin else None
        self._local = threading.local()

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        if self._origin is not None:
            parts = urlsplit(url)
            url = urlunsplit((self._origin.scheme, self._origin.netloc, parts.path, parts.query, ""))
        self._local.retry_after = None
        response = super().request(method, url, params, data, headers, auth, timeout, allow_redirects)
        if response.status_code == 429:
            self._local.retry_after = retry_after_seconds((response.headers or {}).get("Retry-After"))
        return response

    @property
    def last_retry_after(self) -> float | None:
        return getattr(self._local, "retry_after", None)

    def log_request(self, kwargs: dict[str, Any]) -> None:
        _http_log.debug("Twilio API %s %s", kwargs["method"], urlsplit(str(kwargs["url"])).path)

    def log_response(self, status_code: int, response: Any) -> None:
        _http_log.debug("Twilio API answered %s", status_code)


@dataclass(frozen=True, slots=True)
class ProviderMessage:
    """A message as Twilio holds it (for reconciling after a crash between sending and recording)."""

    provider_id: str
    status: str
    body: str
    created_at: datetime | None
    error_code: str | None


class TwilioSmsChannel:
    """A :class:`~bots.base.Sender` for SMS (or WhatsApp) through Twilio's REST API.

    The REST client is built on first use in each process, so that a process forked after start-up
    (gunicorn, RQ) never shares a connection pool with its parent. SMS goes out through the Messaging
    Service when one is configured (its sender pool and Advanced Opt-Out apply), else from
    ``from_number``; WhatsApp from ``whatsapp:<from_number>`` when given, else the Messaging Service.
    """

    def __init__(
        self,
        *,
        channel: str = "sms",
        account_sid: str,
        auth_token: str,
        from_number: str | None = None,
        messaging_service_sid: str | None = None,
        api_base: str = DEFAULT_API_BASE,
        status_callback: str | None = None,
        timeout: float = 15.0,
    ) -> None:
        if channel not in ("sms", "whatsapp"):
            raise ValueError(f"TwilioSmsChannel sends sms or whatsapp, not {channel}")
        if not from_number and not messaging_service_sid:
            raise ValueError("Twilio needs a sender: from_number or messaging_service_sid")
        self.channel = channel
        self.account_sid = account_sid
        self.from_number = from_number.removeprefix(WHATSAPP_PREFIX) if from_number else None
        self.messaging_service_sid = messaging_service_sid
        self.api_base = api_base.rstrip("/")
        self.status_callback = status_callback
        self._auth_token = auth_token
        self._timeout = timeout
        self._lock = threading.Lock()
        self._client: Client | None = None
        self._http: _OriginHttpClient | None = None
        self._pid: int | None = None

    def _rest(self) -> tuple[Client, _OriginHttpClient]:
        with self._lock:
            if self._client is None or self._http is None or self._pid != os.getpid():
                origin = None if self.api_base == DEFAULT_API_BASE else self.api_base
                self._http = _OriginHttpClient(origin, timeout=self._timeout)
                self._client = Client(  # type: ignore[no-untyped-call]
                    self.account_sid, self._auth_token, http_client=self._http
                )
                self._pid = os.getpid()
            return self._client, self._http

    def _address(self, number: str) -> str:
        number = number.strip().removeprefix(WHATSAPP_PREFIX)
        return f"{WHATSAPP_PREFIX}{number}" if self.channel == "whatsapp" else number

    def _sender(self) -> dict[str, str]:
        if self.channel == "whatsapp" and self.from_number:
            return {"from_": self._address(self.from_number)}
        if self.messaging_service_sid:
            return {"messaging_service_sid": self.messaging_service_sid}
        return {"from_": self._address(self.from_number or "")}

    def send(self, address: str, outgoing: Outgoing) -> SendResult:
        """Send one message; returns Twilio's sid, and the segments and encoding it is billed as."""
        body = message_body(outgoing, channel=self.channel)
        if not body:
            raise ValueError("nothing to send")
        if len(body) > BODY_LIMIT:
            raise SendError(
                f"message of {len(body)} characters, Twilio takes {BODY_LIMIT}", permanent=True, code="21617"
            )
        client, http = self._rest()
        extra: dict[str, str] = {}
        if self.status_callback:
            extra["status_callback"] = self.status_callback
        try:
            message = client.messages.create(to=self._address(address), body=body, **self._sender(), **extra)
        except (TwilioException, RequestException) as exc:
            raise _refusal(exc, http) from None
        if self.channel == "sms":
            counted = count_segments(body)
            segments: int | None = counted.segments
            encoding: str | None = counted.encoding
        else:
            segments, encoding = None, None
        return SendResult(provider_id=str(message.sid), status="sent", segments=segments, encoding=encoding)

    def recent_messages(self, address: str, *, limit: int = 20) -> list[ProviderMessage]:
        """Twilio's latest messages to ``address``, newest first: did a send whose answer was lost go out?"""
        client, http = self._rest()
        try:
            found = client.messages.list(to=self._address(address), limit=limit)
        except (TwilioException, RequestException) as exc:
            raise _refusal(exc, http) from None
        return [
            ProviderMessage(
                provider_id=str(item.sid),
                status=str(item.status),
                body=item.body or "",
                created_at=item.date_created,
                error_code=str(item.error_code) if item.error_code else None,
            )
            for item in found
        ]


def _refusal(exc: Exception, http: _OriginHttpClient) -> SendError:
    """A failed call to Twilio as a SendError (which never names the number or the text)."""
    if isinstance(exc, ConnectTimeout):
        # Nothing reached Twilio: retrying can't send a second copy.
        return SendError("Twilio could not be reached", permanent=False, code="connect_timeout")
    if isinstance(exc, RequestException):
        # The request may or may not have reached Twilio: look at recent_messages before sending again.
        return SendError(
            f"network error talking to Twilio ({type(exc).__name__})", permanent=False, code="network"
        )
    # TwilioRestException and (RFC 9457) TwilioServiceException carry status and code; a page that could
    # not be fetched carries the response.
    status = int_or_none(getattr(exc, "status", None))
    if status is None and len(exc.args) > 1:
        status = int_or_none(getattr(exc.args[1], "status_code", None))
    if status is None:
        return SendError(f"Twilio client error ({type(exc).__name__})", permanent=False, code="client")
    return send_error(status, int_or_none(getattr(exc, "code", None)), http.last_retry_after)
