"""``vises telegram set-webhook`` and ``vises telegram poll``, against the fake Bot API."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from service.models import Campaign
from service.runtime import Runtime
from service.telegram_polling import Poller
from service.telegram_updates import telegram_updates
from tests.conftest import TEST_DATA_KEY, TEST_SECRET
from tests.e2e.telegram.conftest import SECRET, TOKEN, Person, answers, conversations
from tests.fakes.telegram_api import FakeTelegram


def telegram_env(api: FakeTelegram, **extra: str) -> dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE": api.api_base,
        "PUBLIC_BASE_URL": "https://survey.example.org",
        **extra,
    }


def test_set_webhook_registers_the_public_url_with_the_secret(
    cli: Callable[..., Any], telegram_api: FakeTelegram
) -> None:
    result = cli("telegram", "set-webhook", env=telegram_env(telegram_api))
    assert result.exit_code == 0, result.output
    assert "https://survey.example.org/webhooks/telegram" in result.output
    assert telegram_api.webhook == {
        "url": "https://survey.example.org/webhooks/telegram",
        "secret_token": SECRET,
        "allowed_updates": ["message", "edited_message", "callback_query", "my_chat_member"],
        "drop_pending_updates": False,
    }
    # The command menu, in the person's language where Telegram knows it.
    assert [name for name, _ in telegram_api.commands[""]] == [
        "start",
        "back",
        "language",
        "help",
        "restart",
        "mydata",
        "delete",
        "stop",
    ]
    assert dict(telegram_api.commands["fr"])["delete"] == "Effacer mes donnees"
    assert dict(telegram_api.commands["nl"])["back"] == "Terug naar de vorige vraag"


def test_set_webhook_needs_https_and_a_token(cli: Callable[..., Any], telegram_api: FakeTelegram) -> None:
    plain = cli(
        "telegram", "set-webhook", env=telegram_env(telegram_api, PUBLIC_BASE_URL="http://127.0.0.1:5000")
    )
    assert plain.exit_code == 1 and "only calls HTTPS webhooks" in plain.output
    unset = cli("telegram", "set-webhook")
    assert unset.exit_code == 1 and "set TELEGRAM_BOT_TOKEN" in unset.output
    assert telegram_api.webhook is None and telegram_api.calls == []


def test_poll_says_how_to_switch_when_a_webhook_is_set(
    cli: Callable[..., Any], telegram_api: FakeTelegram
) -> None:
    telegram_api.webhook = {"url": "https://survey.example.org/webhooks/telegram"}
    result = cli("telegram", "poll", "--timeout", "0", env=telegram_env(telegram_api))
    assert result.exit_code == 1
    assert "Polling Telegram as @vises_test_bot" in result.output
    assert "vises telegram poll --delete-webhook" in result.output
    assert [call.method for call in telegram_api.calls] == ["getMe", *["setMyCommands"] * 3, "getUpdates"]


def test_a_wrong_token_is_named_clearly(cli: Callable[..., Any], telegram_api: FakeTelegram) -> None:
    env = telegram_env(telegram_api, TELEGRAM_BOT_TOKEN="987654321:AAHanotherTokenTheFakeDoesNotKnow")
    result = cli("telegram", "poll", env=env)
    assert result.exit_code == 1 and "Telegram rejected TELEGRAM_BOT_TOKEN" in result.output
    assert "AAHanotherToken" not in result.output


def test_polling_runs_the_webhook_s_code_and_confirms_what_it_handled(
    runtime: Runtime, beneficiaries: Campaign, telegram_api: FakeTelegram, amina: Person
) -> None:
    start = amina.message_update(f"/start {beneficiaries.code}")
    telegram_api.queue_update(start)
    poller = Poller(telegram_updates(runtime), timeout=0)
    assert poller.step() == 1
    # The updates are the same JSON Telegram would post to the webhook; the tap is on the message sent.
    yes = amina.tap_update("Oui")
    telegram_api.queue_update(yes)
    assert poller.step() == 1
    assert poller.step() == 0
    assert poller.offset == yes["update_id"] + 1
    poller.close()
    polls = [call.params for call in telegram_api.calls if call.method == "getUpdates"]
    assert [p.get("offset") for p in polls] == [
        None,
        start["update_id"] + 1,
        yes["update_id"] + 1,
        yes["update_id"] + 1,
    ]
    assert polls[-1]["limit"] == 1 and polls[-1]["timeout"] == 0
    assert [call.method for call in telegram_api.calls if call.method != "getUpdates"] == [
        "getMe",
        "sendMessage",
        "answerCallbackQuery",
        "editMessageText",
        "sendMessage",
    ]
    assert answers(runtime) == {}
    assert telegram_api.last_message(amina.chat_id)["text"].startswith("(1/10) Votre qualité de vie")


def test_polling_until_stopped(
    runtime: Runtime, beneficiaries: Campaign, telegram_api: FakeTelegram, amina: Person
) -> None:
    poller = Poller(telegram_updates(runtime), timeout=1)
    stop = threading.Event()
    thread = threading.Thread(target=poller.run, args=(stop,))
    thread.start()
    try:
        telegram_api.queue_update(amina.message_update(f"/start {beneficiaries.code}"))
        deadline = time.monotonic() + 30
        while (
            not any(call.method == "sendMessage" for call in telegram_api.calls)
            and time.monotonic() < deadline
        ):
            time.sleep(0.02)
    finally:
        stop.set()
        thread.join(30)
    assert not thread.is_alive()
    assert [call.method for call in telegram_api.calls].count("sendMessage") == 1


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_stops_vises_telegram_poll_and_confirms_what_it_handled(
    runtime: Runtime,
    beneficiaries: Campaign,
    telegram_api: FakeTelegram,
    amina: Person,
    database_url: str,
    tmp_path: Path,
    stop_signal: signal.Signals,
) -> None:
    start = amina.message_update(f"/start {beneficiaries.code}")
    telegram_api.queue_update(start)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TWILIO_"))},
        **telegram_env(telegram_api),
        "DATABASE_URL": database_url,
        "REDIS_URL": "",
        "SECRET_KEY": TEST_SECRET,
        "DATA_KEY": TEST_DATA_KEY,
        "VISES_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    command = [
        sys.executable,
        "-c",
        # A job started in the background (CI under nohup, `&`) inherits SIGINT ignored, and Python then
        # never turns it into KeyboardInterrupt: restore what Ctrl-C meets in a terminal.
        "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "from service.cli import main; main()",
        "telegram",
        "poll",
        "--timeout",
        "1",
    ]
    process = subprocess.Popen(
        command,
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # Wait for the next long poll after the reply: by then the update is handled and the offset past it.
        handled = start["update_id"] + 1

        def polled_past_it() -> bool:
            return any(
                c.method == "getUpdates" and c.params.get("offset") == handled for c in telegram_api.calls
            )

        # Generous: starting a Python process that imports the whole service takes long on a busy machine.
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline and not polled_past_it():
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            time.sleep(0.05)
        assert polled_past_it(), "vises telegram poll never handled the update"
        process.send_signal(stop_signal)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
    assert process.returncode == 0, output
    assert "Stopping." in output
    # The long poll in flight is abandoned; then the handled update is confirmed (offset past it, limit 1).
    confirms = [call.params for call in telegram_api.calls if call.params.get("limit") == 1]
    assert [(c["offset"], c["timeout"]) for c in confirms] == [(handled, 0)]
    assert conversations(runtime) == [("telegram", "fr", "in_progress")]
