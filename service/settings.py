"""Settings read from the environment (and an optional ``.env`` file), checked once at start-up.

A first run needs no setup: secrets that are not given are generated once and
kept in the instance folder. A value that is given but wrong stops start-up with
one line naming the variable (:class:`ConfigError`).
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:5000"
SECRETS_FILE = "secrets.json"
_TELEGRAM_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]{20,}$")
_TELEGRAM_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_TELEGRAM_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
_TWILIO_SID = re.compile(r"^(AC|MG)[0-9a-fA-F]{32}$")
_PHONE = re.compile(r"^\+[1-9]\d{6,14}$")
_HOST_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_NAME = re.compile(rf"^(?=.{{1,253}}$){_HOST_LABEL}(?:\.{_HOST_LABEL})*$")


class ConfigError(Exception):
    """A configuration value that can't be used; the message names the variable."""


@dataclass(frozen=True)
class TwilioSettings:
    account_sid: str
    auth_token: str
    from_number: str | None
    messaging_service_sid: str | None
    api_base: str
    whatsapp_from: str | None = None


@dataclass(frozen=True)
class TelegramSettings:
    bot_token: str
    bot_username: str | None
    webhook_secret: str
    api_base: str


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str | None
    secret_key: str
    data_key: str
    public_base_url: str
    instance_path: Path
    twilio: TwilioSettings | None = None
    telegram: TelegramSettings | None = None
    production: bool = False
    trusted_proxies: int = 0
    """Reverse proxies in front of the web process whose X-Forwarded-* headers are believed."""
    log_level: str = "INFO"
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def default_instance_path(environ: Mapping[str, str]) -> Path:
    """The folder for the SQLite file, generated secrets and exports."""
    return Path(environ.get("VISES_INSTANCE_PATH") or Path.cwd() / "instance").resolve()


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    instance_path: Path | None = None,
    env_file: Path | None = None,
) -> Settings:
    """Build the settings from ``environ`` (default: the process environment plus ``.env``)."""
    if environ is None:
        dotenv = env_file or Path.cwd() / ".env"
        file_values = (
            {k: v for k, v in dotenv_values(dotenv).items() if v is not None} if dotenv.exists() else {}
        )
        env: dict[str, str] = {**file_values, **os.environ}
    else:
        env = dict(environ)
    instance = (instance_path or default_instance_path(env)).resolve()
    try:
        instance.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"VISES_INSTANCE_PATH: cannot create the instance folder {instance}: {exc.strerror}"
        ) from exc

    stored = _stored_secrets(instance)
    secret_key = _non_empty(env, "SECRET_KEY") or stored.setdefault("SECRET_KEY", secrets.token_urlsafe(32))
    data_key = _non_empty(env, "DATA_KEY") or stored.setdefault("DATA_KEY", secrets.token_urlsafe(32))
    if len(secret_key) < 16:
        raise ConfigError("SECRET_KEY: must be at least 16 characters long")
    if len(data_key) < 16:
        raise ConfigError("DATA_KEY: must be at least 16 characters long")

    telegram = _telegram(env, stored)
    _store_secrets(instance, stored)

    return Settings(
        database_url=_database_url(env, instance),
        redis_url=_redis_url(env),
        secret_key=secret_key,
        data_key=data_key,
        public_base_url=_http_url(env, "PUBLIC_BASE_URL", DEFAULT_PUBLIC_BASE_URL),
        instance_path=instance,
        twilio=_twilio(env),
        telegram=telegram,
        production=_flag(env, "VISES_PRODUCTION"),
        trusted_proxies=_count(env, "VISES_TRUSTED_PROXIES"),
        log_level=_log_level(env),
        extra={k: v for k, v in env.items() if k.startswith("VISES_")},
    )


@dataclass(frozen=True)
class ServerSettings:
    """Where and how wide gunicorn serves (the Procfile's ``web`` process and ``vises serve``)."""

    host: str
    port: int
    workers: int
    threads: int

    @property
    def bind(self) -> str:
        """The address in gunicorn's ``HOST:PORT`` form, an IPv6 host in brackets."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def load_server_settings(
    environ: Mapping[str, str] | None = None,
    *,
    host: str | None = None,
    port: str | int | None = None,
) -> ServerSettings:
    """HOST, PORT, WEB_CONCURRENCY and WEB_THREADS, checked before gunicorn reads any of them.

    ``host`` and ``port`` are the command-line flags; given, they win and an error names
    the flag (``--host``, ``--port``), otherwise it names the environment variable.
    """
    env = os.environ if environ is None else environ
    return ServerSettings(
        host=_host(host, "--host") if host is not None else _host(env.get("HOST", "127.0.0.1"), "HOST"),
        port=check_port(port, "--port") if port is not None else check_port(env.get("PORT", "5000")),
        workers=_positive(env, "WEB_CONCURRENCY", "2", "gunicorn processes"),
        threads=_positive(env, "WEB_THREADS", "4", "threads per process"),
    )


def check_port(value: str | int, variable: str = "PORT") -> int:
    """A TCP port number, or a ConfigError naming ``variable``."""
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{variable}: {value!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise ConfigError(f"{variable}: {port} is out of range (1-65535)")
    return port


def _host(value: str, variable: str) -> str:
    host = value.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if _HOST_NAME.match(host):
        return host
    try:
        return str(ipaddress.IPv6Address(host))
    except ValueError:
        raise ConfigError(f"{variable}: {value!r} is not an IP address or host name (e.g. 0.0.0.0)") from None


def _positive(env: Mapping[str, str], name: str, default: str, what: str) -> int:
    # Set but empty is an error, not the default: gunicorn itself parses WEB_CONCURRENCY with int().
    value = env.get(name, default)
    if not re.fullmatch(r"[0-9]+", value.strip()) or int(value) < 1:
        raise ConfigError(f"{name}: {value!r} is not a number of {what} (1 or more)")
    return int(value)


def _non_empty(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _stored_secrets(instance: Path) -> dict[str, str]:
    path = instance / SECRETS_FILE
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"SECRET_KEY: the stored secrets file {path} is unreadable ({exc})") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"SECRET_KEY: the stored secrets file {path} is not a JSON object")
    return {str(k): str(v) for k, v in data.items()}


def _store_secrets(instance: Path, stored: dict[str, str]) -> None:
    path = instance / SECRETS_FILE
    if path.exists() and _stored_secrets(instance) == stored:
        return
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(stored, handle, indent=2)
    os.replace(tmp, path)


def _database_url(env: Mapping[str, str], instance: Path) -> str:
    value = _non_empty(env, "DATABASE_URL")
    if value is None:
        return f"sqlite:///{instance / 'vises.db'}"
    if value.startswith("postgres://"):
        value = "postgresql+psycopg://" + value.removeprefix("postgres://")
    elif value.startswith("postgresql://"):
        value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
    try:
        url = make_url(value)
    except ArgumentError:
        raise ConfigError(
            f"DATABASE_URL: {value!r} is not a database URL (e.g. postgresql+psycopg://user@host/db)"
        ) from None
    if url.get_backend_name() not in {"sqlite", "postgresql"}:
        raise ConfigError(
            f"DATABASE_URL: unsupported database {url.get_backend_name()!r} (use postgresql or sqlite)"
        )
    if url.port is not None and not 1 <= url.port <= 65535:
        raise ConfigError(f"DATABASE_URL: port {url.port} is out of range (1-65535)")
    return value


def _redis_url(env: Mapping[str, str]) -> str | None:
    value = _non_empty(env, "REDIS_URL")
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in {"redis", "rediss", "unix"}:
        raise ConfigError(f"REDIS_URL: {value!r} is not a Redis URL (e.g. redis://127.0.0.1:6379/0)")
    try:
        port = parts.port
    except ValueError:
        raise ConfigError(f"REDIS_URL: the port in {value!r} is out of range (1-65535)") from None
    if parts.scheme != "unix" and not parts.hostname:
        raise ConfigError(f"REDIS_URL: {value!r} has no host")
    if port == 0:
        raise ConfigError(f"REDIS_URL: the port in {value!r} is out of range (1-65535)")
    return value


def _http_url(env: Mapping[str, str], name: str, default: str) -> str:
    value = _non_empty(env, name) or default
    parts = urlsplit(value)
    try:
        port = parts.port
    except ValueError:
        raise ConfigError(f"{name}: the port in {value!r} is out of range (1-65535)") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname or port == 0:
        raise ConfigError(f"{name}: {value!r} is not an http(s) URL (e.g. https://survey.example.org)")
    if parts.query or parts.fragment:
        raise ConfigError(f"{name}: {value!r} must not have a query or fragment")
    return value.rstrip("/")


def _twilio(env: Mapping[str, str]) -> TwilioSettings | None:
    sid = _non_empty(env, "TWILIO_ACCOUNT_SID")
    token = _non_empty(env, "TWILIO_AUTH_TOKEN")
    if sid is None and token is None:
        return None
    if sid is None or token is None:
        missing = "TWILIO_ACCOUNT_SID" if sid is None else "TWILIO_AUTH_TOKEN"
        raise ConfigError(f"{missing}: required when the other Twilio credential is set")
    if not _TWILIO_SID.match(sid) or not sid.startswith("AC"):
        raise ConfigError("TWILIO_ACCOUNT_SID: must look like AC followed by 32 hexadecimal characters")
    from_number = _non_empty(env, "TWILIO_FROM_NUMBER")
    service_sid = _non_empty(env, "TWILIO_MESSAGING_SERVICE_SID")
    if from_number is None and service_sid is None:
        raise ConfigError("TWILIO_FROM_NUMBER: set it (or TWILIO_MESSAGING_SERVICE_SID) to send SMS")
    if from_number is not None and not _PHONE.match(from_number):
        raise ConfigError(f"TWILIO_FROM_NUMBER: {from_number!r} is not an E.164 number (e.g. +32460000000)")
    if service_sid is not None and not (_TWILIO_SID.match(service_sid) and service_sid.startswith("MG")):
        raise ConfigError(
            "TWILIO_MESSAGING_SERVICE_SID: must look like MG followed by 32 hexadecimal characters"
        )
    whatsapp = _non_empty(env, "TWILIO_WHATSAPP_FROM")
    if whatsapp is not None and not _PHONE.match(whatsapp.removeprefix("whatsapp:")):
        raise ConfigError(f"TWILIO_WHATSAPP_FROM: {whatsapp!r} is not an E.164 number")
    return TwilioSettings(
        account_sid=sid,
        auth_token=token,
        from_number=from_number,
        messaging_service_sid=service_sid,
        api_base=_http_url(env, "TWILIO_API_BASE", "https://api.twilio.com"),
        whatsapp_from=whatsapp.removeprefix("whatsapp:") if whatsapp else None,
    )


def _telegram(env: Mapping[str, str], stored: dict[str, str]) -> TelegramSettings | None:
    token = _non_empty(env, "TELEGRAM_BOT_TOKEN")
    if token is None:
        return None
    if not _TELEGRAM_TOKEN.match(token):
        raise ConfigError("TELEGRAM_BOT_TOKEN: must look like 123456:ABC-DEF... (from @BotFather)")
    username = _non_empty(env, "TELEGRAM_BOT_USERNAME")
    if username is not None:
        username = username.removeprefix("@")
        if not _TELEGRAM_USERNAME.match(username):
            raise ConfigError(f"TELEGRAM_BOT_USERNAME: {username!r} is not a Telegram bot username")
    secret = _non_empty(env, "TELEGRAM_WEBHOOK_SECRET") or stored.setdefault(
        "TELEGRAM_WEBHOOK_SECRET", secrets.token_urlsafe(32)
    )
    if not _TELEGRAM_SECRET.match(secret):
        raise ConfigError("TELEGRAM_WEBHOOK_SECRET: 1-256 characters from A-Z, a-z, 0-9, _ and -")
    return TelegramSettings(
        bot_token=token,
        bot_username=username,
        webhook_secret=secret,
        api_base=_http_url(env, "TELEGRAM_API_BASE", "https://api.telegram.org"),
    )


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = env.get(name, "").strip().lower()
    if value in {"", "0", "false", "no", "off"}:
        return False
    if value in {"1", "true", "yes", "on"}:
        return True
    raise ConfigError(f"{name}: {value!r} is not a boolean (use 1/0, true/false)")


def _count(env: Mapping[str, str], name: str) -> int:
    value = env.get(name, "").strip() or "0"
    if not value.isdigit() or int(value) > 10:
        raise ConfigError(f"{name}: {value!r} is not a number of proxies from 0 to 10")
    return int(value)


def _log_level(env: Mapping[str, str]) -> str:
    value = env.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
    if value not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ConfigError(f"LOG_LEVEL: {value!r} is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
    return value
