"""Argon2 password hashing, off the event loop and bounded.

One argon2 check holds its thread for about 0.35 s on this 2-core machine.
Run on the event loop, 40 parallel sign-ins stalled every other request
(``/healthz`` went from 4 ms to 6 s). So every hash runs in a worker thread,
at most ``threads`` at once (about one per core: more only queue inside the
CPU), and never inside a database transaction. A burst past ``threads +
queue`` sign-ins in progress is refused at once with ``503 signin_busy`` and
``Retry-After``, before it touches the database, rather than queued without
end.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from wall.errors import WallError

_hasher = PasswordHasher()
# Checked when the account is unknown, so that both answers cost one hash
# with the same parameters: the time tells nobody which accounts exist.
DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
# What one check costs here, to tell a refused client when to come back.
SECONDS_PER_HASH = 0.4


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


class SignInBusy(WallError):
    code = "signin_busy"
    status = 503
    message = "Trop de connexions en cours. Réessaie dans quelques secondes."


class PasswordHashing:
    """A bounded pool for argon2: ``threads`` at work, ``queue`` more waiting."""

    def __init__(self, threads: int, queue: int) -> None:
        self.threads = threads
        self.capacity = threads + queue
        self._limiter = anyio.CapacityLimiter(threads)
        self._admitted = 0
        self.retry_after = max(1, math.ceil(self.capacity / threads * SECONDS_PER_HASH))

    @property
    def admitted(self) -> int:
        """Sign-ins between admission and the end of their hash."""
        return self._admitted

    @asynccontextmanager
    async def admission(self) -> AsyncIterator[None]:
        """Hold a place for one sign-in; ``SignInBusy`` when every place is taken.

        The count lives on the event loop, so checking and taking a place
        cannot be interleaved.
        """
        if self._admitted >= self.capacity:
            raise SignInBusy(headers={"Retry-After": str(self.retry_after)})
        self._admitted += 1
        try:
            yield
        finally:
            self._admitted -= 1

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Check ``password`` in a worker thread; an unknown account (None) costs the same."""
        return await anyio.to_thread.run_sync(
            verify_password, password_hash or DUMMY_HASH, password, limiter=self._limiter
        )

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(hash_password, password, limiter=self._limiter)
