"""A fake Twilio REST API on 127.0.0.1, for the real twilio SDK to talk to (``TWILIO_API_BASE``).

It serves what vises uses of ``/2010-04-01/Accounts/{sid}/Messages.json``: creating a message (POST,
Basic auth checked, answered 201 with the real resource's JSON: RFC 2822 dates, ``SM`` + 32 hex sids)
and listing messages (GET, filtered by ``To``, newest first). It can be told to refuse a given ``To``
the way Twilio does (21211 and 21610 with 400, 429 with Retry-After, 500), and it can post signed
status callbacks for a message to our app, through a Flask test client or over HTTP.

The server is a small WSGI app behind an HTTP/1.1 keep-alive ``http.server`` with TCP_NODELAY (the
SDK pools connections; a ``Connection: close`` server would hide bugs in connection reuse).
"""

from __future__ import annotations

import base64
import json
import secrets
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import requests

from bots.sms import SIGNATURE_HEADER, sign

API_VERSION = "2010-04-01"


@dataclass
class SentMessage:
    """One message the fake accepted, as Twilio would hold it."""

    sid: str
    account_sid: str
    to: str
    from_: str | None
    messaging_service_sid: str | None
    body: str
    status_callback: str | None
    status: str
    created_at: datetime
    form: dict[str, str]

    def resource(self) -> dict[str, Any]:
        created = format_datetime(self.created_at, usegmt=True)
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}.json"
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": self.body,
            "date_created": created,
            "date_sent": None,
            "date_updated": created,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": self.from_,
            "messaging_service_sid": self.messaging_service_sid,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
            "to": self.to,
            "uri": uri,
        }


@dataclass
class Refusal:
    """How the fake answers a send to one ``To``: Twilio's error JSON with this status and code."""

    code: int
    status: int
    message: str
    retry_after: str | None = None
    times: int | None = None
    """Refuse this many times, then accept; None: always."""


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, str]
    authorized: bool
    peer: str
    """The client's address and port: one per TCP connection."""


_MESSAGES_JSON = f"/{API_VERSION}/Accounts/"
_DEFAULT_MESSAGES = {
    21211: "Invalid 'To' Phone Number",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number is not a valid mobile number",
    20429: "Too Many Requests",
    20500: "Internal Server Error",
}


@dataclass
class FakeTwilio:
    """The fake's state and its WSGI app; ``start()`` serves it, ``url`` is its origin."""

    account_sid: str
    auth_token: str
    messages: list[SentMessage] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    refusals: dict[str, Refusal] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    # -- configuring ---------------------------------------------------------------------------------

    def refuse(
        self,
        to: str,
        *,
        code: int,
        status: int = 400,
        message: str | None = None,
        retry_after: str | None = None,
        times: int | None = None,
    ) -> None:
        """Answer sends to ``to`` with Twilio's error ``code`` (and ``Retry-After`` for a 429)."""
        text = message or _DEFAULT_MESSAGES.get(code, "Error")
        self.refusals[to] = Refusal(code, status, f"{text}: {to}", retry_after, times)

    def message(self, sid: str) -> SentMessage:
        return next(m for m in self.messages if m.sid == sid)

    def sent_to(self, to: str) -> list[str]:
        """The bodies accepted for ``to``, oldest first."""
        return [m.body for m in self.messages if m.to == to]

    # -- serving -------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeTwilio:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self.wsgi))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-twilio", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server, self._thread = None, None

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        form = dict(parse_qsl(raw.decode(), keep_blank_values=True))
        authorized = self._authorized(environ.get("HTTP_AUTHORIZATION", ""))
        with self._lock:
            peer = f"{environ.get('REMOTE_ADDR')}:{environ.get('REMOTE_PORT')}"
            self.requests.append(Request(method, path, query, form, authorized, peer))
        status, headers, body = self._route(method, path, query, form, authorized)
        start_response(status, [("Content-Type", "application/json"), *headers])
        return [json.dumps(body).encode()]

    def _authorized(self, header: str) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return header == f"Basic {expected}"

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], form: dict[str, str], authorized: bool
    ) -> tuple[str, list[tuple[str, str]], Any]:
        if not path.startswith(_MESSAGES_JSON) or not path.endswith("/Messages.json"):
            return "404 Not Found", [], _error(20404, 404, "The requested resource was not found")
        account = path[len(_MESSAGES_JSON) :].split("/", 1)[0]
        if not authorized or account != self.account_sid:
            return "401 Unauthorized", [], _error(20003, 401, "Authenticate")
        if method == "POST":
            return self._create(form)
        if method == "GET":
            return self._list(query, path)
        return "405 Method Not Allowed", [], _error(20004, 405, "Method not allowed")

    def _create(self, form: dict[str, str]) -> tuple[str, list[tuple[str, str]], Any]:
        to = form.get("To", "")
        if not to:
            return "400 Bad Request", [], _error(21604, 400, "A 'To' phone number is required.")
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return "400 Bad Request", [], _error(21603, 400, "A 'From' phone number is required.")
        refusal = self.refusals.get(to)
        if refusal is not None and refusal.times != 0:
            if refusal.times is not None:
                refusal.times -= 1
            headers = [("Retry-After", refusal.retry_after)] if refusal.retry_after else []
            reason = {400: "Bad Request", 429: "Too Many Requests", 500: "Internal Server Error"}
            status_line = f"{refusal.status} {reason.get(refusal.status, 'Error')}"
            return status_line, headers, _error(refusal.code, refusal.status, refusal.message)
        message = SentMessage(
            sid="SM" + secrets.token_hex(16),
            account_sid=self.account_sid,
            to=to,
            from_=form.get("From"),
            messaging_service_sid=form.get("MessagingServiceSid"),
            body=form.get("Body", ""),
            status_callback=form.get("StatusCallback"),
            status="accepted" if form.get("MessagingServiceSid") else "queued",
            created_at=datetime.now(UTC),
            form=form,
        )
        with self._lock:
            self.messages.append(message)
        return "201 Created", [], message.resource()

    def _list(self, query: dict[str, list[str]], path: str) -> tuple[str, list[tuple[str, str]], Any]:
        to = query.get("To", [None])[0]
        page_size = int(query.get("PageSize", ["50"])[0])
        found = [m for m in reversed(self.messages) if to is None or m.to == to][:page_size]
        return (
            "200 OK",
            [],
            {
                "messages": [m.resource() for m in found],
                "end": max(len(found) - 1, 0),
                "first_page_uri": f"{path}?PageSize={page_size}&Page=0",
                "next_page_uri": None,
                "previous_page_uri": None,
                "page": 0,
                "page_size": page_size,
                "start": 0,
                "uri": f"{path}?PageSize={page_size}&Page=0",
            },
        )

    # -- status callbacks ----------------------------------------------------------------------------

    def status_form(self, sid: str, status: str, *, error_code: str | None = None) -> dict[str, str]:
        """The form Twilio posts to a message's StatusCallback when its status changes."""
        message = self.message(sid)
        form = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "From": message.from_ or "",
            "To": message.to,
            "MessageSid": sid,
            "SmsSid": sid,
            "MessageStatus": status,
            "SmsStatus": status,
        }
        if message.messaging_service_sid:
            form["MessagingServiceSid"] = message.messaging_service_sid
        if error_code:
            form["ErrorCode"] = error_code
        if status in ("delivered", "undelivered"):
            form["RawDlrDoneDate"] = datetime.now(UTC).strftime("%y%m%d%H%M")
        return form

    def post_status(self, sid: str, status: str, *, error_code: str | None = None, client: Any = None) -> int:
        """Post a signed status callback for ``sid`` to its StatusCallback URL; returns the HTTP status.

        With a Flask test ``client`` the request goes in-process to the callback URL's path (signed for
        the full public URL, as Twilio signs it); without one it goes over HTTP.
        """
        url = self.message(sid).status_callback
        assert url, "the message was sent without a StatusCallback"
        form = self.status_form(sid, status, error_code=error_code)
        headers = {SIGNATURE_HEADER: sign(self.auth_token, url, form.items())}
        if client is not None:
            parts = urlsplit(url)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            return int(client.post(path, data=form, headers=headers).status_code)
        return requests.post(url, data=form, headers=headers, timeout=10).status_code


def _error(code: int, status: int, message: str) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def _handler_for(app: Callable[..., Iterable[bytes]]) -> type[BaseHTTPRequestHandler]:
    """An HTTP/1.1 keep-alive request handler that runs ``app`` (a WSGI callable) for every request."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # without it each keep-alive call waits ~40 ms for delayed ACKs
        timeout = 10  # an idle keep-alive connection is closed after this many seconds

        def do_GET(self) -> None:
            self._run()

        def do_POST(self) -> None:
            self._run()

        def _run(self) -> None:
            parts = urlsplit(self.path)
            environ = {
                "REQUEST_METHOD": self.command,
                "PATH_INFO": parts.path,
                "QUERY_STRING": parts.query,
                "CONTENT_LENGTH": self.headers.get("Content-Length", "0"),
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "HTTP_AUTHORIZATION": self.headers.get("Authorization", ""),
                "REMOTE_ADDR": self.client_address[0],
                "REMOTE_PORT": str(self.client_address[1]),
                "wsgi.input": self.rfile,
                "wsgi.errors": sys.stderr,
                "wsgi.url_scheme": "http",
            }
            captured: dict[str, Any] = {}

            def start_response(status: str, headers: list[tuple[str, str]]) -> None:
                captured["status"], captured["headers"] = status, headers

            body = b"".join(app(environ, start_response))
            code, _, reason = captured["status"].partition(" ")
            self.send_response(int(code), reason)
            for name, value in captured["headers"]:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: requests carry phone numbers."""

    return Handler


def running(account_sid: str, auth_token: str) -> Iterator[FakeTwilio]:
    """A started fake, stopped afterwards (for fixtures: ``yield from running(...)``)."""
    fake = FakeTwilio(account_sid, auth_token).start()
    try:
        yield fake
    finally:
        fake.stop()


__all__ = ["FakeTwilio", "Refusal", "SentMessage", "running"]
