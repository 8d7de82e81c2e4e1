"""``vises telegram``: answer through the bot by long polling (development), or register the webhook."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType

import click
from sqlalchemy import select

from bots.base import SendError
from service.cli.base import get_runtime
from service.logging_setup import configure_logging
from service.migrate import upgrade
from service.models import Campaign, CampaignStatus
from service.runtime import Runtime
from service.settings import TelegramSettings
from service.telegram_polling import Poller
from service.telegram_updates import telegram_channel, telegram_updates

WEBHOOK_PATH = "/webhooks/telegram"


@click.group()
def telegram() -> None:
    """The Telegram bot."""


def _configured(runtime: Runtime) -> TelegramSettings:
    if runtime.settings.telegram is None:
        raise click.ClickException("Telegram is not configured: set TELEGRAM_BOT_TOKEN (from @BotFather)")
    return runtime.settings.telegram


def _telegram_failure(error: SendError) -> click.ClickException:
    if error.code == "invalid_token":
        return click.ClickException("Telegram rejected TELEGRAM_BOT_TOKEN: check it with @BotFather")
    if error.code == "conflict":
        return click.ClickException(
            "a webhook is set for this bot, so Telegram won't answer getUpdates: "
            "run `vises telegram poll --delete-webhook` to switch to polling"
        )
    return click.ClickException(f"Telegram: {error} ({error.code})")


def _running_links(runtime: Runtime, username: str) -> list[str]:
    with runtime.transaction() as session:
        campaigns = session.scalars(
            select(Campaign).where(Campaign.status == CampaignStatus.RUNNING).order_by(Campaign.id)
        ).all()
        return [
            f"  {campaign.name}: https://t.me/{username}?start={campaign.code}"
            for campaign in campaigns
            if "telegram" in campaign.channels
        ]


def _stop_on_sigterm() -> Callable[[], None]:
    """Let SIGTERM (a service manager stopping us) end polling as Ctrl-C does; returns the undo."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.getsignal(signal.SIGTERM)

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    return restore


@telegram.command("poll")
@click.option("--timeout", default=30, show_default=True, help="Seconds each getUpdates call waits.")
@click.option("--delete-webhook", is_flag=True, help="Remove a webhook set earlier (polling needs none).")
@click.pass_context
def poll(ctx: click.Context, timeout: int, delete_webhook: bool) -> None:
    """Answer through the bot by long polling, without a public URL (development). Ctrl-C stops."""
    runtime = get_runtime(ctx)
    _configured(runtime)
    configure_logging(runtime.settings.log_level)
    upgrade(runtime.engine)
    channel = telegram_channel(runtime)
    poller = Poller(telegram_updates(runtime), timeout=timeout)
    stop = threading.Event()
    restore = _stop_on_sigterm()
    try:
        if delete_webhook:
            channel.delete_webhook()
        username = channel.username()
        channel.set_commands()
        click.echo(f"Polling Telegram as @{username}; Ctrl-C stops.")
        links = _running_links(runtime, username)
        if links:
            click.echo("Running campaigns on Telegram:")
            click.echo("\n".join(links))
        poller.run(stop)
    except KeyboardInterrupt:
        click.echo("Stopping.")
    except SendError as error:
        raise _telegram_failure(error) from None
    finally:
        restore()
        stop.set()
        poller.close()
        channel.close()


@telegram.command("set-webhook")
@click.option("--drop-pending-updates", is_flag=True, help="Discard the updates Telegram is holding.")
@click.pass_context
def set_webhook(ctx: click.Context, drop_pending_updates: bool) -> None:
    """Have Telegram push updates to PUBLIC_BASE_URL/webhooks/telegram, with the secret token."""
    runtime = get_runtime(ctx)
    settings = _configured(runtime)
    base = runtime.settings.public_base_url
    if not base.startswith("https://"):
        raise click.ClickException(
            f"PUBLIC_BASE_URL is {base}: Telegram only calls HTTPS webhooks "
            "(for development without one, use `vises telegram poll`)"
        )
    url = base + WEBHOOK_PATH
    channel = telegram_channel(runtime)
    try:
        channel.set_webhook(url, secret_token=settings.webhook_secret, drop_pending=drop_pending_updates)
        channel.set_commands()
    except SendError as error:
        raise _telegram_failure(error) from None
    finally:
        channel.close()
    click.echo(f"Telegram now sends this bot's updates to {url}")
