"""The fake Twilio and Telegram APIs of ``tests/fakes``, served from a process of their own for benchmarks.

``python -m bench.fakes`` prints one JSON line with both origins, then serves until SIGTERM or SIGINT.
Besides the providers' own routes, each answers ``POST /_bench/stats`` (how many messages, and when) and
``POST /_bench/reset`` (forget them). The Telegram fake knows every chat (a benchmark's respondents
are made up on the fly), and neither fake keeps request bodies beyond what the stats need.
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Callable, Iterable
from http.server import ThreadingHTTPServer
from typing import Any

from bench.stack import TELEGRAM_TOKEN, TWILIO_SID, TWILIO_TOKEN
from tests.fakes import telegram_api, twilio_api
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # a burst of connections from many workers is not refused


class AnyChatTelegram(FakeTelegram):
    """Every chat exists: a message to any chat id is accepted."""

    def _chat(self, chat_id: int) -> dict[str, Any]:
        return {"id": chat_id, "first_name": "Bench", "type": "private"}


def _twilio_stats(fake: FakeTwilio) -> dict[str, Any]:
    with fake._lock:
        times = [message.created_at.timestamp() for message in fake.messages]
    return {"sent": len(times), "times": times}


def _telegram_stats(fake: FakeTelegram) -> dict[str, Any]:
    with fake._lock:
        sends = [call.at for call in fake.calls if call.method == "sendMessage" and call.status == 200]
        methods: dict[str, int] = {}
        for call in fake.calls:
            methods[f"{call.method}:{call.status}"] = methods.get(f"{call.method}:{call.status}", 0) + 1
    return {"sent": len(sends), "calls": methods}


def _reset(fake: FakeTwilio | FakeTelegram) -> None:
    with fake._lock:
        if isinstance(fake, FakeTwilio):
            fake.messages.clear()
            fake.requests.clear()
        else:
            fake.calls.clear()
            fake.messages.clear()


def _with_stats(fake: FakeTwilio | FakeTelegram, stats: Callable[[], dict[str, Any]]) -> Callable[..., Any]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/_bench/stats":
            body = json.dumps(stats()).encode()
        elif path == "/_bench/reset":
            _reset(fake)
            body = b"{}"
        else:
            result = fake.wsgi(environ, start_response)
            if isinstance(fake, FakeTwilio):
                with fake._lock:
                    fake.requests.clear()  # the benchmark's 10,000s of requests are not kept
            return result
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]

    return app


def main() -> None:
    twilio = FakeTwilio(TWILIO_SID, TWILIO_TOKEN)
    telegram = AnyChatTelegram(TELEGRAM_TOKEN)
    servers = [
        _Server(
            ("127.0.0.1", 0), twilio_api._handler_for(_with_stats(twilio, lambda: _twilio_stats(twilio)))
        ),
        _Server(
            ("127.0.0.1", 0),
            telegram_api._handler_for(_with_stats(telegram, lambda: _telegram_stats(telegram))),
        ),
    ]
    threads = []
    for server in servers:
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        threads.append(thread)
    origins = {
        "twilio": f"http://127.0.0.1:{servers[0].server_address[1]}",
        "telegram": f"http://127.0.0.1:{servers[1].server_address[1]}",
    }
    print(json.dumps(origins), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    for server in servers:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()
