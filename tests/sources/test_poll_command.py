"""``wall poll``: a line per source; exit 0 when all answered, 1 otherwise, 2 on bad usage."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fake_mastodon import FakeMastodon, FakeStatus, wall_env, write_wall_toml
from wall.cli import main

REPO = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def mastodon() -> Iterator[FakeMastodon]:
    server = FakeMastodon().start()
    server.add(FakeStatus(101, "zoe", "Depuis la ligne de commande"), seeds=(1, 2))
    try:
        yield server
    finally:
        server.stop()


def configure(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    database_url: str,
    sources: list[dict[str, Any]] | str,
) -> dict[str, str]:
    toml = tmp_path / "wall.toml"
    if isinstance(sources, str):
        toml.write_text(sources, encoding="utf-8")
    else:
        write_wall_toml(toml, sources)
    env = wall_env(database_url, tmp_path / "data", toml)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    return env


def source(name: str, url: str) -> dict[str, Any]:
    return {"name": name, "type": "mastodon", "base_url": url, "interval": 30}


def test_once_polls_every_source_and_exits_0(
    mastodon: FakeMastodon,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure(monkeypatch, tmp_path, database_url, [source("fake-social", mastodon.url)])
    assert main(["poll", "--once"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["fake-social: ok, fetched 1, stored 2, skipped 0"]
    # A second round finds nothing new and stores nothing twice.
    assert main(["poll", "--once"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "fake-social: ok, fetched 0, stored 0, skipped 0"
    ]


def test_once_exits_1_when_a_source_fails(
    mastodon: FakeMastodon,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    broken = FakeMastodon(timeline_failure="500").start()
    try:
        configure(
            monkeypatch,
            tmp_path,
            database_url,
            [source("fake-social", mastodon.url), source("en-panne", broken.url)],
        )
        assert main(["poll", "--once"]) == 1
    finally:
        broken.stop()
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "fake-social: ok, fetched 1, stored 2, skipped 0"
    assert out[1].startswith("en-panne: error: en-panne: HTTP 500 from /api/v1/timelines/tag/")
    assert len(out) == 2


def test_source_picks_one_source(
    mastodon: FakeMastodon,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    broken = FakeMastodon(timeline_failure="500").start()
    try:
        configure(
            monkeypatch,
            tmp_path,
            database_url,
            [source("fake-social", mastodon.url), source("en-panne", broken.url)],
        )
        assert main(["poll", "--once", "--source", "fake-social"]) == 0
        assert broken.seen() == []
    finally:
        broken.stop()
    assert capsys.readouterr().out.startswith("fake-social: ok")


@pytest.mark.parametrize(
    ("toml", "argv", "message"),
    [
        ("[[sources]]\nname = 'x'\ntype = 'myspace'\n", [], "unknown type 'myspace'"),
        ("[[sources]\n", [], "not valid TOML"),
        ("", [], "no source to poll"),
        (
            "[[sources]]\nname = 'a'\ntype = 'mastodon'\nbase_url = 'https://m.example'\n",
            ["--source", "b"],
            "unknown source 'b' (configured: a)",
        ),
    ],
)
def test_bad_usage_exits_2_with_one_line(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    toml: str,
    argv: list[str],
    message: str,
) -> None:
    configure(monkeypatch, tmp_path, database_url, toml)
    assert main(["poll", "--once", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.splitlines()
    assert line.startswith("wall: ") and message in line


def test_the_console_command_runs_as_a_user_would(
    mastodon: FakeMastodon, database_url: str, tmp_path: Path
) -> None:
    toml = write_wall_toml(tmp_path / "wall.toml", [source("fake-social", mastodon.url)])
    env = {**os.environ, **wall_env(database_url, tmp_path / "data", toml)}
    done = subprocess.run(
        [sys.executable, "-m", "wall", "poll", "--once"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "fake-social: ok, fetched 1, stored 2, skipped 0\n"


def test_poll_runs_in_the_foreground_until_terminated(
    mastodon: FakeMastodon, database_url: str, tmp_path: Path
) -> None:
    toml = write_wall_toml(tmp_path / "wall.toml", [source("fake-social", mastodon.url)])
    env = {**os.environ, **wall_env(database_url, tmp_path / "data", toml)}
    process = subprocess.Popen(
        [sys.executable, "-m", "wall", "poll"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while len(mastodon.seen("/media/")) < 2:  # both images downloaded
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the poller never downloaded the images"
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert out == "polling fake-social (Ctrl-C to stop)\n"
