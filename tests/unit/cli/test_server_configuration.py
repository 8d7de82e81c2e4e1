"""A bad server setting stops the Procfile's ``web`` command and ``vises serve`` with one line, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from service.cli import cli
from tests.support.processes import vises_command

ROOT = Path(__file__).resolve().parents[3]


def procfile_command(process: str) -> str:
    """The command the Procfile gives ``process``."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == process:
            return command.strip()
    raise AssertionError(f"no {process!r} process in the Procfile")


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``args`` as a fresh process with only the server knobs of ``env`` set, as a platform would."""
    environ = {
        key: value
        for key, value in os.environ.items()
        if key not in {"HOST", "PORT", "WEB_CONCURRENCY", "WEB_THREADS", "DATABASE_URL", "REDIS_URL"}
        and not key.startswith(("TWILIO_", "TELEGRAM_", "GUNICORN_"))
    }
    # The Procfile's commands find the environment's executables on PATH, as in a deployment.
    environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environ.get('PATH', '')}"
    environ["VISES_INSTANCE_PATH"] = str(tmp_path / "instance")
    environ.update(env)
    return subprocess.run(
        args, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60, check=False
    )


def assert_one_line_naming(result: subprocess.CompletedProcess[str], source: str) -> None:
    assert result.returncode != 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"configuration error: {source}: " in lines[0]


# Each runs in a fresh process: gunicorn parses WEB_CONCURRENCY as it is imported, and PORT out
# of range used to end in an OverflowError from the socket layer.
@pytest.mark.parametrize(
    ("env", "variable"), [({"WEB_CONCURRENCY": "abc"}, "WEB_CONCURRENCY"), ({"PORT": "99999"}, "PORT")]
)
def test_the_procfile_web_process_names_the_bad_variable(
    tmp_path: Path, env: dict[str, str], variable: str
) -> None:
    result = run(["sh", "-c", procfile_command("web")], tmp_path, **env)
    assert_one_line_naming(result, variable)


def test_vises_serve_names_a_bad_web_concurrency(tmp_path: Path) -> None:
    result = run([*vises_command(), "serve"], tmp_path, WEB_CONCURRENCY="abc")
    assert_one_line_naming(result, "WEB_CONCURRENCY")
    assert not (tmp_path / "instance" / "vises.db").exists(), "nothing is set up before the check"


def test_a_bad_server_knob_does_not_stop_the_other_commands(tmp_path: Path) -> None:
    result = run([*vises_command(), "questionnaire", "--help"], tmp_path, WEB_CONCURRENCY="abc")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["serve", "demo"])
@pytest.mark.parametrize(
    ("env", "args", "source"),
    [
        ({"WEB_THREADS": "x"}, [], "WEB_THREADS"),
        ({"PORT": "99999"}, [], "PORT"),
        ({"HOST": "not a host"}, [], "HOST"),
        ({"PORT": "8080"}, ["--port", "70000"], "--port"),
        ({"HOST": "0.0.0.0"}, ["--host", "not a host"], "--host"),
    ],
)
def test_serve_and_demo_name_where_the_bad_value_came_from(
    tmp_path: Path, command: str, env: dict[str, str], args: list[str], source: str
) -> None:
    instance = tmp_path / "instance"
    environ: dict[str, str | None] = {**env, "VISES_INSTANCE_PATH": str(instance)}
    environ.update(DATABASE_URL=None, REDIS_URL=None)
    result = CliRunner().invoke(cli, [command, *args], env=environ)
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"Error: configuration error: {source}: ")
    assert not (instance / "vises.db").exists(), "nothing is set up before the check"
