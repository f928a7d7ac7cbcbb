"""``wall moderator add/list/disable`` against a real database."""

from __future__ import annotations

import io
import sys

import httpx
import pytest

from tests.factories import ADMIN_PASSWORD, sign_in
from wall import cli
from wall.config import Settings


def _run(monkeypatch: pytest.MonkeyPatch, settings: Settings, *argv: str, stdin: str = "") -> int:
    monkeypatch.setenv("WALL_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("WALL_DATA_DIR", settings.data_dir)
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return cli.main(list(argv))


def test_add_list_disable(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        _run(
            monkeypatch,
            settings,
            "moderator",
            "add",
            "Zoe@Ecole.test",
            "--password-stdin",
            stdin=ADMIN_PASSWORD + "\n",
        )
        == 0
    )
    assert _run(monkeypatch, settings, "moderator", "list") == 0
    assert "zoe@ecole.test\tmoderator\tactive\tno-totp" in capsys.readouterr().out
    assert _run(monkeypatch, settings, "moderator", "disable", "zoe@ecole.test") == 0
    assert _run(monkeypatch, settings, "moderator", "list") == 0
    assert "zoe@ecole.test\tmoderator\tdisabled" in capsys.readouterr().out
    assert _run(monkeypatch, settings, "moderator", "disable", "nobody@ecole.test") == 1
    assert "no moderator nobody@ecole.test" in capsys.readouterr().err


async def test_a_disabled_moderator_cannot_sign_in(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await sign_in(client, settings, email="zoe@ecole.test", role="moderator")
    assert (await client.get("/api/moderation/photos")).status_code == 200
    # The same thing the CLI does, through its function.
    await cli._disable_moderator(settings, "zoe@ecole.test")
    assert (await client.get("/api/moderation/photos")).status_code == 401
