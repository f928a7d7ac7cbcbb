"""Sign-in under attack: real parallel requests to a real uvicorn, on both databases.

Each client gets its own source address on the loopback network
(127.0.0.2, 127.0.0.3, …), so the server sees distinct clients as it would
behind no proxy.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import httpx
from argon2 import PasswordHasher
from sqlalchemy import func, select

from tests.factories import ADMIN_EMAIL, ADMIN_PASSWORD, add_moderator
from tests.live import LiveServer
from tests.moderation.factories import database
from wall import auth, totp
from wall.app import create_app, load_secret_key
from wall.config import Settings
from wall.login_throttle import LoginThrottle, ThrottleKeys
from wall.models import AuditEntry, LoginAttempts, Moderator, ModeratorSession

ATTACKER = "127.0.0.1"
OWNER = "127.0.0.2"


@contextmanager
def serving(settings: Settings) -> Iterator[LiveServer]:
    server = LiveServer(create_app(settings, null_pool=True))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@asynccontextmanager
async def client_from(server: LiveServer, address: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.AsyncHTTPTransport(local_address=address)
    async with httpx.AsyncClient(base_url=server.url, transport=transport, timeout=120) as http:
        yield http


async def _login(
    http: httpx.AsyncClient, password: str, code: str | None = None, email: str = ADMIN_EMAIL
) -> httpx.Response:
    body = {"email": email, "password": password}
    if code is not None:
        body["totp"] = code
    return await http.post("/api/auth/login", json=body)


async def _attempts(settings: Settings, key: str) -> int:
    async with database(settings) as db, db.reading() as session:
        return int(
            await session.scalar(select(LoginAttempts.attempts).where(LoginAttempts.key == key))
            or 0
        )


async def test_forty_parallel_guesses_get_the_budget_and_the_owner_still_signs_in(
    settings: Settings,
) -> None:
    await add_moderator(settings)
    budget = settings.login_max_failures
    with serving(settings) as server:
        async with client_from(server, ATTACKER) as attacker:
            answers = await asyncio.gather(*(_login(attacker, "devine") for _ in range(40)))
            statuses = collections.Counter(answer.status_code for answer in answers)
            # A 401 is an answer after a real password check.
            assert statuses[401] == budget, statuses
            assert set(statuses) <= {401, 429, 503}, statuses
            for answer in answers:
                if answer.status_code in (429, 503):
                    assert int(answer.headers["retry-after"]) > 0
            # The attacker's address stays shut out of this account, right password or not.
            assert (await _login(attacker, ADMIN_PASSWORD)).status_code == 429
        pair = ThrottleKeys.of(ADMIN_EMAIL, ATTACKER, load_secret_key(settings)).pair
        assert await _attempts(settings, pair) == budget
        async with database(settings) as db, db.reading() as session:
            checked = await session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "auth.login_failed")
            )
        assert checked == budget

        # The owner, from their own device, waits at most the per-account delay.
        async with client_from(server, OWNER) as owner:
            deadline = time.monotonic() + 120
            while True:
                answer = await _login(owner, ADMIN_PASSWORD)
                if answer.status_code == 200:
                    break
                assert answer.status_code in (429, 503), answer.text
                wait = int(answer.headers["retry-after"])
                assert wait <= settings.login_max_delay_seconds, wait
                assert time.monotonic() < deadline, "the owner never got in"
                await asyncio.sleep(wait)
            assert answer.json()["role"] == "admin"


async def test_one_totp_code_in_eight_parallel_sign_ins_opens_one_session(
    settings: Settings,
) -> None:
    # Room for all eight to reach the code check: the throttle is not under test here.
    settings = settings.replace(login_max_failures=10)
    await add_moderator(settings)
    secret = totp.new_secret()
    async with database(settings) as db, db.writing() as session:
        moderator = await auth.find_moderator(session, ADMIN_EMAIL)
        assert moderator is not None
        moderator.totp_secret, moderator.totp_enabled = secret, True
    code = totp.code_at(secret, time.time())
    with serving(settings) as server:
        async with clients_from(server, [f"127.0.0.{n}" for n in range(2, 10)]) as browsers:
            answers = await asyncio.gather(
                *(_login(http, ADMIN_PASSWORD, code) for http in browsers)
            )
    statuses = collections.Counter(answer.status_code for answer in answers)
    assert statuses == {200: 1, 401: 7}, statuses
    assert {a.json()["error"] for a in answers if a.status_code == 401} == {"bad_credentials"}
    async with database(settings) as db, db.reading() as session:
        sessions = await session.scalar(select(func.count()).select_from(ModeratorSession))
        last_step = await session.scalar(select(Moderator.totp_last_step))
    assert sessions == 1
    assert last_step is not None and totp.code_at(secret, last_step * totp.STEP_SECONDS) == code


@asynccontextmanager
async def clients_from(
    server: LiveServer, addresses: list[str]
) -> AsyncIterator[list[httpx.AsyncClient]]:
    clients = [
        httpx.AsyncClient(
            base_url=server.url,
            transport=httpx.AsyncHTTPTransport(local_address=address),
            timeout=120,
        )
        for address in addresses
    ]
    try:
        yield clients
    finally:
        for http in clients:
            await http.aclose()


def _cpu_ticks(stat: Path) -> int:
    """utime + stime of a thread or process, from /proc (in clock ticks)."""
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


async def test_the_server_answers_while_a_password_is_checked(settings: Settings) -> None:
    """The hash runs in a worker thread: the event loop serves /healthz meanwhile.

    A stored hash with a high argon2 cost keeps one check running for about
    two seconds. While it runs, /healthz answers, a second sign-in is refused
    at once (one thread, no queue), and the event loop's thread burns almost
    none of the CPU the check costs.
    """
    settings = settings.replace(password_hash_threads=1, password_hash_queue=0)
    slow_hash = await asyncio.to_thread(
        PasswordHasher(time_cost=24, memory_cost=65536, parallelism=1).hash, ADMIN_PASSWORD
    )
    async with database(settings) as db, db.writing() as session:
        await auth.save_moderator(session, ADMIN_EMAIL, slow_hash, "admin")
    with serving(settings) as server:
        loop_thread = Path(f"/proc/self/task/{server.thread.native_id}/stat")
        process = Path("/proc/self/stat")
        async with client_from(server, ATTACKER) as first, client_from(server, OWNER) as second:
            login = asyncio.create_task(_login(first, "devine"))
            pair = ThrottleKeys.of(ADMIN_EMAIL, ATTACKER, load_secret_key(settings)).pair
            deadline = time.monotonic() + 60
            while await _attempts(settings, pair) == 0:  # reserved: the check starts now
                assert time.monotonic() < deadline and not login.done()
                await asyncio.sleep(0.01)
            loop_before, process_before = _cpu_ticks(loop_thread), _cpu_ticks(process)

            health = await second.get("/healthz")
            assert health.status_code == 200
            assert not login.done(), "the check ended before /healthz answered"
            busy = await _login(second, ADMIN_PASSWORD)
            assert busy.status_code == 503 and busy.json()["error"] == "signin_busy"
            assert int(busy.headers["retry-after"]) >= 1

            assert (await login).status_code == 401
            loop_spent = _cpu_ticks(loop_thread) - loop_before
            process_spent = _cpu_ticks(process) - process_before
    assert process_spent >= 50, process_spent  # the check really ran (about 2 s of CPU)
    assert loop_spent * 4 < process_spent, (loop_spent, process_spent)


def test_the_per_account_delay_doubles_up_to_its_cap() -> None:
    throttle = LoginThrottle(max_failures=5, max_delay_seconds=60)
    delays = [throttle.account_delay(n) for n in range(14)]
    assert delays == [0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60]
