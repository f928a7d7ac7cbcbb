"""schemathesis against a live ``wall serve``: no 5xx, every answer as described.

The description is ``/openapi.json`` (``wall/web/openapi.py``). Two runs per
database: anonymous, then signed in as a moderator made with
``wall moderator add`` (role admin, so that the admin routes are reached
too), with the session cookie and the CSRF header. The event streams never
end and are left out; so are the routes that end the run's own session.

Each operation gets ``WALL_FUZZ_EXAMPLES`` examples (default 8, which keeps
both databases under about two minutes). The run uses a fixed seed, so that
CI answers the same for the same code; ``WALL_FUZZ_SEED=random`` explores new
inputs, and ``WALL_FUZZ_SEED=<n>`` replays a run (the seed is in the failure
message).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.processes import WallProcess, wall_command, wall_environment

EXAMPLES = os.environ.get("WALL_FUZZ_EXAMPLES", "8")
SEED = os.environ.get("WALL_FUZZ_SEED", "20240215")
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    ]
)
EMAIL = "fuzz@ecole.test"
PASSWORD = "mot-de-passe-du-fuzz"
ENDLESS = r"/events$"
OWN_SESSION_ENDERS = r"(/events|/logout|/logout-all)$"


def schemathesis(url: str, workdir: Path, exclude: str, *headers: str) -> None:
    st = Path(sys.executable).with_name("st")
    if not st.exists():
        st = Path(shutil.which("st") or "st")
    command = [
        str(st),
        "run",
        f"{url}/openapi.json",
        "--checks",
        CHECKS,
        "--max-examples",
        EXAMPLES,
        "--exclude-path-regex",
        exclude,
        # One worker: CPython 3.11's ast is not safe across threads, and two
        # workers once failed with "AST constructor recursion depth mismatch".
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--no-color",
        "--request-timeout",
        "60",  # a generous bound: two shared cores, and argon2 on sign-in
    ]
    if SEED != "random":
        command += ["--seed", SEED]
    for header in headers:
        command += ["--header", header]
    result = subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, result.stdout[-12000:] + result.stderr[-3000:]


def test_the_api_holds_against_schemathesis(
    database_url: str, tmp_path: Path, settings_env: dict[str, str]
) -> None:
    wall_command(
        "moderator",
        "add",
        EMAIL,
        "--role",
        "admin",
        "--password-stdin",
        env=settings_env,
        stdin=PASSWORD + "\n",
    )
    server = WallProcess(settings_env, tmp_path, log_path=tmp_path / "serve.log")
    server.start()
    try:
        schemathesis(server.url, tmp_path, ENDLESS)

        login = httpx.post(
            f"{server.url}/api/auth/login", json={"email": EMAIL, "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        cookie = login.cookies["wall_session"]
        csrf = login.json()["csrf_token"]
        schemathesis(
            server.url,
            tmp_path,
            OWN_SESSION_ENDERS,
            f"Cookie: wall_session={cookie}",
            f"X-CSRF-Token: {csrf}",
        )
    finally:
        server.stop()


@pytest.fixture
def settings_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return wall_environment(
        WALL_DATABASE_URL=database_url,
        WALL_DATA_DIR=str(tmp_path / "data"),
        WALL_SECRET_KEY="fuzz-secret",
        WALL_ADMIN_EMAIL="premier@ecole.test",
        WALL_ADMIN_PASSWORD="mot-de-passe-premier",
        WALL_UPLOAD_LIMIT_PER_HOUR="0",
    )
