"""The app served over real HTTP on 127.0.0.1 (werkzeug's threaded server), and clients that hit it at once.

A test client runs requests one after another in the test's thread; races need a real server with a
thread per request, each with its own database session, as gunicorn's threads would have.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

import requests
from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

T = TypeVar("T")


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """No access log: the tests' own assertions say what happened."""


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """Serve ``app`` on a free port of 127.0.0.1 in a thread; yields its base URL."""
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def burst(count: int, call: Callable[[requests.Session], T], *, timeout: float = 60) -> list[T]:
    """Run ``call`` in ``count`` threads released together (each with its own HTTP connection)."""
    return at_once([call] * count, timeout=timeout)


def at_once(calls: list[Callable[[requests.Session], T]], *, timeout: float = 60) -> list[T]:
    """Run each call in a thread of its own, all released together; results in the order of ``calls``."""
    barrier = threading.Barrier(len(calls))

    def one(call: Callable[[requests.Session], T]) -> T:
        with requests.Session() as http:
            barrier.wait(timeout)
            return call(http)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(one, calls, timeout=timeout))
