from pathlib import Path

import pytest

from service.settings import ConfigError, check_port, load_server_settings, load_settings

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
SID = "AC" + "0" * 32


def settings(tmp_path: Path, **env: str):
    return load_settings(env, instance_path=tmp_path / "instance")


def test_first_run_needs_no_setup_and_keeps_generated_secrets(tmp_path: Path) -> None:
    first = settings(tmp_path)
    second = settings(tmp_path)
    assert first.database_url == f"sqlite:///{tmp_path / 'instance' / 'vises.db'}"
    assert first.redis_url is None
    assert first.public_base_url == "http://127.0.0.1:5000"
    assert len(first.secret_key) >= 32 and len(first.data_key) >= 32
    assert (first.secret_key, first.data_key) == (second.secret_key, second.data_key)
    assert (tmp_path / "instance" / "secrets.json").stat().st_mode & 0o777 == 0o600
    assert first.twilio is None and first.telegram is None


def test_given_values_win_over_generated_ones(tmp_path: Path) -> None:
    s = settings(
        tmp_path,
        SECRET_KEY="s" * 20,
        DATA_KEY="d" * 20,
        DATABASE_URL="postgresql://postgres@127.0.0.1:5432/test",
        REDIS_URL="redis://127.0.0.1:6379/0",
        PUBLIC_BASE_URL="https://survey.example.org/",
    )
    assert s.secret_key == "s" * 20
    assert s.database_url == "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    assert s.redis_url == "redis://127.0.0.1:6379/0"
    assert s.public_base_url == "https://survey.example.org"


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"DATABASE_URL": "mysql://root@localhost/x"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgresql+psycopg://u@h:70000/db"}, "DATABASE_URL"),
        ({"REDIS_URL": "http://127.0.0.1:6379"}, "REDIS_URL"),
        ({"REDIS_URL": "redis://127.0.0.1:99999/0"}, "REDIS_URL"),
        ({"PUBLIC_BASE_URL": "survey.example.org"}, "PUBLIC_BASE_URL"),
        ({"PUBLIC_BASE_URL": "https://x.org:0"}, "PUBLIC_BASE_URL"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"TWILIO_ACCOUNT_SID": SID}, "TWILIO_AUTH_TOKEN"),
        ({"TWILIO_ACCOUNT_SID": "nope", "TWILIO_AUTH_TOKEN": "t"}, "TWILIO_ACCOUNT_SID"),
        ({"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": "t"}, "TWILIO_FROM_NUMBER"),
        (
            {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": "t", "TWILIO_FROM_NUMBER": "0470"},
            "TWILIO_FROM_NUMBER",
        ),
        ({"TELEGRAM_BOT_TOKEN": "abc"}, "TELEGRAM_BOT_TOKEN"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": "has space"}, "TELEGRAM_WEBHOOK_SECRET"),
        ({"VISES_PRODUCTION": "maybe"}, "VISES_PRODUCTION"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(
    tmp_path: Path, env: dict[str, str], variable: str
) -> None:
    with pytest.raises(ConfigError) as info:
        settings(tmp_path, **env)
    message = str(info.value)
    assert message.startswith(f"{variable}:")
    assert "\n" not in message


def test_channels_are_enabled_by_their_credentials(tmp_path: Path) -> None:
    s = settings(
        tmp_path,
        TWILIO_ACCOUNT_SID=SID,
        TWILIO_AUTH_TOKEN="token",
        TWILIO_FROM_NUMBER="+32460000000",
        TWILIO_API_BASE="http://127.0.0.1:9999",
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_BOT_USERNAME="@vises_bot",
    )
    assert s.twilio is not None and s.twilio.api_base == "http://127.0.0.1:9999"
    assert s.telegram is not None and s.telegram.bot_username == "vises_bot"
    assert s.telegram.api_base == "https://api.telegram.org"
    generated = s.telegram.webhook_secret
    assert settings(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN).telegram.webhook_secret == generated


def test_dotenv_file_is_read_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("PUBLIC_BASE_URL=https://from-dotenv.example\nLOG_LEVEL=debug\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.setenv("LOG_LEVEL", "warning")
    monkeypatch.setenv("VISES_INSTANCE_PATH", str(tmp_path / "inst"))
    for name in (
        "DATABASE_URL",
        "REDIS_URL",
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TELEGRAM_BOT_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    s = load_settings()
    assert s.public_base_url == "https://from-dotenv.example"
    assert s.log_level == "WARNING"
    assert s.instance_path == (tmp_path / "inst").resolve()


@pytest.mark.parametrize("value", ["0", "65536", "http", "-1"])
def test_port_out_of_range(value: str) -> None:
    with pytest.raises(ConfigError, match=r"^--port: "):
        check_port(value, "--port")
    assert check_port("8080") == 8080


def test_trusted_proxies(tmp_path: Path) -> None:
    assert settings(tmp_path).trusted_proxies == 0
    assert settings(tmp_path, VISES_TRUSTED_PROXIES="1").trusted_proxies == 1
    with pytest.raises(ConfigError, match=r"^VISES_TRUSTED_PROXIES: "):
        settings(tmp_path, VISES_TRUSTED_PROXIES="many")


def test_the_server_defaults_and_the_environment() -> None:
    default = load_server_settings({})
    assert (default.bind, default.workers, default.threads) == ("127.0.0.1:5000", 2, 4)
    given = load_server_settings(
        {"HOST": "0.0.0.0", "PORT": "8080", "WEB_CONCURRENCY": "3", "WEB_THREADS": "8"}
    )
    assert (given.bind, given.workers, given.threads) == ("0.0.0.0:8080", 3, 8)
    assert load_server_settings({"HOST": "::"}).bind == "[::]:5000"
    assert load_server_settings({"HOST": "[::1]"}).bind == "[::1]:5000"


def test_server_flags_win_over_the_environment() -> None:
    server = load_server_settings({"HOST": "bad host", "PORT": "99999"}, host="localhost", port="8081")
    assert server.bind == "localhost:8081"


@pytest.mark.parametrize(
    ("env", "flags", "source"),
    [
        ({"PORT": "99999"}, {}, "PORT"),
        ({"PORT": "http"}, {}, "PORT"),
        ({"PORT": ""}, {}, "PORT"),
        ({"PORT": "8080"}, {"port": "99999"}, "--port"),
        ({"HOST": "a host"}, {}, "HOST"),
        ({"HOST": "http://example.org"}, {}, "HOST"),
        ({"HOST": "::zz"}, {}, "HOST"),
        ({}, {"host": "-h"}, "--host"),
        ({"WEB_CONCURRENCY": "abc"}, {}, "WEB_CONCURRENCY"),
        ({"WEB_CONCURRENCY": ""}, {}, "WEB_CONCURRENCY"),
        ({"WEB_CONCURRENCY": "0"}, {}, "WEB_CONCURRENCY"),
        ({"WEB_THREADS": "x"}, {}, "WEB_THREADS"),
        ({"WEB_THREADS": "-4"}, {}, "WEB_THREADS"),
    ],
)
def test_a_bad_server_value_is_one_line_naming_where_it_came_from(
    env: dict[str, str], flags: dict[str, str], source: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_server_settings(env, **flags)
    message = str(info.value)
    assert message.startswith(f"{source}: ")
    assert "\n" not in message
