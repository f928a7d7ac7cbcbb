"""The `wall` command: exit codes, one-line errors, moderators, serve."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.processes import ORGANIZATION

ROOT = Path(__file__).resolve().parent.parent


def _wall(
    args: list[str], env: dict[str, str], stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wall", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )


def _public_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A wall served over https by a named organization."""
    return _env(tmp_path, WALL_PUBLIC_URL="https://mur.ecole.test", **{**ORGANIZATION, **extra})


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WALL_")}
    env["WALL_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path}/wall.db"
    env["WALL_DATA_DIR"] = str(tmp_path / "data")
    env["PYTHONPATH"] = str(ROOT)  # this checkout's code, installed or not
    env.update(extra)
    return env


def test_bad_configuration_exits_2_with_one_line(tmp_path: Path) -> None:
    result = _wall(["migrate"], _env(tmp_path, WALL_MAX_UPLOAD_MB="lots"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "WALL_MAX_UPLOAD_MB" in result.stderr and "Traceback" not in result.stderr


def test_a_bad_frame_ancestors_setting_stops_serve_with_one_line(tmp_path: Path) -> None:
    result = _wall(["serve"], _env(tmp_path, WALL_FRAME_ANCESTORS="'self'; script-src *"))
    assert result.returncode == 2
    assert result.stderr.startswith("wall: configuration error: WALL_FRAME_ANCESTORS:")
    assert len(result.stderr.strip().splitlines()) == 1


def test_unreachable_database_exits_1_without_traceback(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/nothing"
    result = _wall(["migrate"], _env(tmp_path, WALL_DATABASE_URL=url))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("wall: cannot")
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_usage_exits_2(tmp_path: Path) -> None:
    assert _wall(["frobnicate"], _env(tmp_path)).returncode == 2
    assert _wall(["moderator", "add"], _env(tmp_path)).returncode == 2


def test_moderator_add_then_sign_in(tmp_path: Path) -> None:
    env = _env(tmp_path)
    added = _wall(
        ["moderator", "add", "Mod@Ecole.test", "--role", "moderator", "--password-stdin"],
        env,
        stdin="un-mot-de-passe-long\n",
    )
    assert added.returncode == 0, added.stderr
    assert "mod@ecole.test" in added.stdout
    short = _wall(["moderator", "add", "x@ecole.test", "--password-stdin"], env, stdin="court\n")
    assert short.returncode == 1 and "10 characters" in short.stderr
    migrated = _wall(["migrate"], env)
    assert migrated.returncode == 0


def test_serve_prints_urls_and_credentials_then_serves(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "wall", "serve", "--port", str(port)],
        env=_env(tmp_path),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(4)]
        assert f"http://127.0.0.1:{port}/" in lines[0]
        assert lines[1].rstrip().endswith("/upload")
        assert lines[2].rstrip().endswith("/moderation")
        email, password = lines[3].split(" : ", 1)[1].split(" / mot de passe : ")
        deadline = time.monotonic() + 20
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz")
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        assert health.json() == {"status": "ok"}
        login = httpx.post(
            f"http://127.0.0.1:{port}/api/auth/login",
            json={"email": email.strip(), "password": password.strip()},
        )
        assert login.status_code == 200 and login.json()["role"] == "admin"
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=20)


def _serve_until_exit(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return subprocess.run(
        [sys.executable, "-m", "wall", "serve", "--port", str(port)],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({}, "WALL_ADMIN_EMAIL"),
        ({"WALL_ADMIN_PASSWORD": "un-mot-de-passe-long"}, "WALL_ADMIN_EMAIL"),
        ({"WALL_ADMIN_EMAIL": "direction@ecole.test"}, "WALL_ADMIN_PASSWORD"),
    ],
)
def test_serve_on_https_refuses_a_placeholder_first_admin(
    tmp_path: Path, extra: dict[str, str], named: str
) -> None:
    env = _public_env(tmp_path, **extra)
    result = _serve_until_exit(env, tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert named in result.stderr and "Traceback" not in result.stderr
    assert "mot de passe" not in result.stdout  # no credentials were printed
    listed = _wall(["moderator", "list"], env)
    assert listed.returncode == 0 and listed.stdout.strip() == ""  # nobody was created


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("WALL_ORGANIZER", None),  # the example default
        ("WALL_ORGANIZER_EN", None),
        ("WALL_ORGANIZER_ADDRESS", ""),
        ("WALL_PRIVACY_OFFICER_NAME", ""),
        ("WALL_PRIVACY_OFFICER_CONTACT", ""),
        ("WALL_HOSTING_LOCATION", ""),
    ],
)
def test_serve_on_https_refuses_placeholder_organization_settings(
    tmp_path: Path, variable: str, value: str | None
) -> None:
    env = _public_env(
        tmp_path, WALL_ADMIN_EMAIL="direction@ecole.test", WALL_ADMIN_PASSWORD="un-long-secret"
    )
    if value is None:
        del env[variable]
    else:
        env[variable] = value
    result = _serve_until_exit(env, tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith(f"wall: WALL_PUBLIC_URL is https but {variable} ")
    assert "Traceback" not in result.stderr


def test_an_upload_window_open_past_the_deletion_date_is_refused(tmp_path: Path) -> None:
    env = _env(
        tmp_path,
        WALL_KEEP_UNTIL="2031-03-01",
        WALL_UPLOADS_CLOSE_AT="2031-03-01T00:00:01-05:00",
    )
    result = _wall(["migrate"], env)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "WALL_UPLOADS_CLOSE_AT" in result.stderr and "2031-03-01" in result.stderr
    env["WALL_UPLOADS_CLOSE_AT"] = "2031-03-01T00:00:00-05:00"  # midnight starting that day
    assert _wall(["migrate"], env).returncode == 0


def test_serve_on_https_refuses_a_left_over_localhost_admin(tmp_path: Path) -> None:
    env = _env(tmp_path)
    added = _wall(
        ["moderator", "add", "admin@localhost", "--role", "admin", "--password-stdin"],
        env,
        stdin="un-mot-de-passe-long\n",
    )
    assert added.returncode == 0, added.stderr
    public = _public_env(tmp_path)
    result = _serve_until_exit(public, tmp_path)
    assert result.returncode == 2
    assert "wall moderator disable admin@localhost" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_serve_on_https_starts_with_a_named_admin(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = _public_env(
        tmp_path,
        WALL_ADMIN_EMAIL="direction@ecole.test",
        WALL_ADMIN_PASSWORD="un-mot-de-passe-long",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "wall", "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz")
                break
            except httpx.ConnectError:
                assert process.poll() is None, "wall serve exited"
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        assert health.status_code == 200
        login = httpx.post(
            f"http://127.0.0.1:{port}/api/auth/login",
            json={"email": "direction@ecole.test", "password": "un-mot-de-passe-long"},
        )
        assert login.status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=20)
