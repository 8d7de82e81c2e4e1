"""A fake Telegram Bot API on 127.0.0.1, for the real python-telegram-bot to talk to (``TELEGRAM_API_BASE``).

It speaks what the Bot API speaks: ``POST /bot<token>/<method>`` with form-encoded parameters (nested
values, such as ``reply_markup``, arrive as JSON strings, and ``chat_id`` as a string), answered with
the ``{"ok": true, "result": ...}`` envelope or ``{"ok": false, "error_code": ..., "description": ...}``.
It records every call, keeps the messages the bot sent (so edits can be checked and a test can tap a
real keyboard), holds updates for ``getUpdates``, and can be told to answer a chat with 429
``retry_after`` or 403 "bot was blocked by the user". It refuses what Telegram refuses: a wrong token,
editing a message that doesn't exist or into what it already is, answering a callback query twice,
``getUpdates`` while a webhook is set.

The server is a WSGI app behind an HTTP/1.1 keep-alive ``http.server`` with TCP_NODELAY (PTB's httpx
pools connections; a ``Connection: close`` server would hide bugs in connection reuse across event
loops).
"""

from __future__ import annotations

import itertools
import json
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

BOT_ID = 7000000001
_JSON_PARAMS = frozenset(
    {"reply_markup", "allowed_updates", "entities", "link_preview_options", "reply_parameters", "commands"}
)
_INT_PARAMS = frozenset(
    {"chat_id", "message_id", "offset", "limit", "timeout", "max_connections", "cache_time"}
)
_BOOL_PARAMS = frozenset({"show_alert", "drop_pending_updates", "disable_notification", "protect_content"})
BLOCKED = "Forbidden: bot was blocked by the user"
_CHAT_METHODS = frozenset({"sendMessage", "editMessageText", "editMessageReplyMarkup"})


@dataclass
class ApiCall:
    """One request the fake received: the method, its decoded parameters, and the HTTP status answered."""

    method: str
    params: dict[str, Any]
    status: int
    at: float


@dataclass
class Refusal:
    """How the fake answers a chat's calls: this status and description, ``times`` times (None: always)."""

    status: int
    description: str
    retry_after: int | None = None
    times: int | None = None
    methods: frozenset[str] = _CHAT_METHODS


class ApiError(Exception):
    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


@dataclass
class FakeTelegram:
    """The fake's state and its WSGI app; ``start()`` serves it, ``api_base`` is its root URL."""

    token: str
    username: str = "vises_test_bot"
    calls: list[ApiCall] = field(default_factory=list)
    messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    chats: dict[int, dict[str, Any]] = field(default_factory=dict)
    refusals: dict[int, Refusal] = field(default_factory=dict)
    webhook: dict[str, Any] | None = None
    commands: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    pending: list[dict[str, Any]] = field(default_factory=list)
    answered_queries: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _updates_ready: threading.Condition = field(default_factory=threading.Condition)
    _message_ids: dict[int, Iterator[int]] = field(default_factory=dict)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    # -- configuring ---------------------------------------------------------------------------------

    def add_chat(self, chat_id: int, first_name: str, language_code: str | None) -> dict[str, Any]:
        """A person who has started the bot; returns their ``from`` (User) dict."""
        user: dict[str, Any] = {"id": chat_id, "is_bot": False, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        self.chats[chat_id] = user
        return user

    def block(self, chat_id: int) -> None:
        """The person blocked the bot: every message to them is refused with 403 from now on."""
        self.refusals[chat_id] = Refusal(403, BLOCKED)

    def flood(
        self, chat_id: int, *, retry_after: int = 1, times: int = 1, method: str = "sendMessage"
    ) -> None:
        """Answer the chat's next ``times`` calls of ``method`` with 429 Too Many Requests."""
        self.refusals[chat_id] = Refusal(
            429,
            f"Too Many Requests: retry after {retry_after}",
            retry_after=retry_after,
            times=times,
            methods=frozenset({method}),
        )

    def queue_update(self, update: dict[str, Any]) -> None:
        """An update for the next ``getUpdates``."""
        with self._updates_ready:
            self.pending.append(update)
            self._updates_ready.notify_all()

    # -- reading -------------------------------------------------------------------------------------

    def calls_since(self, index: int) -> list[ApiCall]:
        with self._lock:
            return list(self.calls[index:])

    def message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        """The message as it stands now (edits included), as Telegram shows it in a callback query."""
        copied: dict[str, Any] = json.loads(json.dumps(self.messages[(chat_id, message_id)]))
        return copied

    def last_message(self, chat_id: int) -> dict[str, Any]:
        message_id = max(m for c, m in self.messages if c == chat_id)
        return self.message(chat_id, message_id)

    # -- serving -------------------------------------------------------------------------------------

    @property
    def api_base(self) -> str:
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeTelegram:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self.wsgi))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-telegram",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._updates_ready:
            self._updates_ready.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server, self._thread = None, None

    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        prefix, _, method = path.lstrip("/").partition("/")
        params = _decode(dict(parse_qsl(raw.decode(), keep_blank_values=True)))
        try:
            if environ["REQUEST_METHOD"] != "POST" or prefix != f"bot{self.token}":
                raise ApiError(401, "Unauthorized")
            result = self._call(method, params)
            status, body = 200, {"ok": True, "result": result}
        except ApiError as error:
            status = error.status
            body = {"ok": False, "error_code": error.status, "description": error.description}
            if error.parameters:
                body["parameters"] = error.parameters
        with self._lock:
            self.calls.append(ApiCall(method, params, status, time.monotonic()))
        reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}
        reason |= {409: "Conflict", 429: "Too Many Requests"}
        start_response(f"{status} {reason.get(status, 'Error')}", [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]

    # -- the Bot API ---------------------------------------------------------------------------------

    def _bot_user(self) -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "Vises", "username": self.username}

    def _call(self, method: str, params: dict[str, Any]) -> Any:
        if method in _CHAT_METHODS:
            self._refuse(int(params.get("chat_id", 0)), method)
        handlers: dict[str, Callable[[], Any]] = {
            "getMe": lambda: self._bot_user() | {"can_join_groups": True, "supports_inline_queries": False},
            "sendMessage": lambda: self._send(params),
            "editMessageText": lambda: self._edit(params, text=True),
            "editMessageReplyMarkup": lambda: self._edit(params, text=False),
            "answerCallbackQuery": lambda: self._answer(params),
            "setWebhook": lambda: self._set_webhook(params),
            "deleteWebhook": self._delete_webhook,
            "setMyCommands": lambda: self._set_commands(params),
            "getUpdates": lambda: self._get_updates(params),
        }
        handler = handlers.get(method)
        if handler is None:
            raise ApiError(404, "Not Found")
        return handler()

    def _set_commands(self, params: dict[str, Any]) -> bool:
        """Keep the command menu per language ("" for the default), as Telegram shows it in the chat."""
        commands = params["commands"]
        menu = json.loads(commands) if isinstance(commands, str) else commands
        self.commands[params.get("language_code") or ""] = [(c["command"], c["description"]) for c in menu]
        return True

    def _refuse(self, chat_id: int, method: str) -> None:
        refusal = self.refusals.get(chat_id)
        if refusal is None or method not in refusal.methods or refusal.times == 0:
            return
        if refusal.times is not None:
            refusal.times -= 1
        parameters = {"retry_after": refusal.retry_after} if refusal.retry_after else None
        raise ApiError(refusal.status, refusal.description, parameters)

    def _chat(self, chat_id: int) -> dict[str, Any]:
        user = self.chats.get(chat_id)
        if user is None:
            raise ApiError(400, "Bad Request: chat not found")
        return {"id": chat_id, "first_name": user["first_name"], "type": "private"}

    def _send(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        chat = self._chat(chat_id)
        text = params.get("text", "")
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        with self._lock:
            ids = self._message_ids.setdefault(chat_id, itertools.count(1001))
            message: dict[str, Any] = {
                "message_id": next(ids),
                "from": self._bot_user(),
                "chat": chat,
                "date": int(time.time()),
                "text": text,
            }
            if params.get("reply_markup"):
                message["reply_markup"] = params["reply_markup"]
            self.messages[(chat_id, message["message_id"])] = message
        return message

    def _edit(self, params: dict[str, Any], *, text: bool) -> dict[str, Any]:
        key = (int(params["chat_id"]), int(params["message_id"]))
        with self._lock:
            message = self.messages.get(key)
            if message is None:
                raise ApiError(400, "Bad Request: message to edit not found")
            edited = dict(message)
            if text:
                edited["text"] = params["text"]
            edited.pop("reply_markup", None)
            if params.get("reply_markup"):
                edited["reply_markup"] = params["reply_markup"]
            if {k: v for k, v in edited.items() if k != "edit_date"} == {
                k: v for k, v in message.items() if k != "edit_date"
            }:
                raise ApiError(
                    400,
                    "Bad Request: message is not modified: specified new message content and reply markup "
                    "are exactly the same as a current content and reply markup of the message",
                )
            edited["edit_date"] = int(time.time())
            self.messages[key] = edited
            return edited

    def _answer(self, params: dict[str, Any]) -> bool:
        query_id = str(params["callback_query_id"])
        with self._lock:
            if query_id in self.answered_queries:
                raise ApiError(
                    400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
                )
            self.answered_queries.add(query_id)
        return True

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url", ""))
        if not url.startswith("https://"):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = params
        return True

    def _delete_webhook(self) -> bool:
        self.webhook = None
        return True

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset")
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + int(params.get("timeout") or 0)
        with self._updates_ready:
            while True:
                if offset is not None:
                    self.pending = [u for u in self.pending if u["update_id"] >= offset]
                if self.pending or time.monotonic() >= deadline or self._server is None:
                    return self.pending[:limit]
                self._updates_ready.wait(max(0.0, deadline - time.monotonic()))


def _decode(form: dict[str, str]) -> dict[str, Any]:
    """The parameters as Telegram reads them: nested values from their JSON strings, numbers as numbers."""
    params: dict[str, Any] = {}
    for name, value in form.items():
        if name in _JSON_PARAMS:
            params[name] = json.loads(value)
        elif name in _INT_PARAMS:
            params[name] = int(value)
        elif name in _BOOL_PARAMS:
            params[name] = value == "true"
        else:
            params[name] = value
    return params


def _handler_for(app: Callable[..., Iterable[bytes]]) -> type[BaseHTTPRequestHandler]:
    """An HTTP/1.1 keep-alive request handler that runs ``app`` (a WSGI callable) for every request."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # without it each keep-alive call waits ~40 ms for delayed ACKs

        def do_POST(self) -> None:
            self._run()

        def do_GET(self) -> None:
            self._run()

        def _run(self) -> None:
            parts = urlsplit(self.path)
            environ = {
                "REQUEST_METHOD": self.command,
                "PATH_INFO": parts.path,
                "QUERY_STRING": parts.query,
                "CONTENT_LENGTH": self.headers.get("Content-Length", "0"),
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
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
            try:
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up waiting (a long poll cancelled by Ctrl-C)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the path holds the bot token."""

    return Handler


def running(token: str) -> Iterator[FakeTelegram]:
    """A started fake, stopped afterwards (for fixtures: ``yield from running(...)``)."""
    fake = FakeTelegram(token).start()
    try:
        yield fake
    finally:
        fake.stop()


__all__ = ["BLOCKED", "ApiCall", "FakeTelegram", "Refusal", "running"]
