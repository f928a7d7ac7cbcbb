"""RFC 6238 time-based one-time passwords (30-second steps, 6 digits, SHA-1).

The standard library is enough: HOTP is an HMAC and a little arithmetic.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
import urllib.parse

STEP_SECONDS = 30
DIGITS = 6
# Accept the previous and the next code too: phones' clocks drift.
DRIFT_STEPS = 1


def new_secret() -> str:
    """A random 160-bit secret, base32 without padding (as authenticator apps expect)."""
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def _key(secret: str) -> bytes:
    return base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))


def hotp(secret: str, counter: int) -> str:
    digest = hmac.new(_key(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**DIGITS).zfill(DIGITS)


def step_at(moment: float) -> int:
    return int(moment // STEP_SECONDS)


def code_at(secret: str, moment: float) -> str:
    return hotp(secret, step_at(moment))


def matching_step(
    secret: str, code: str, *, now: float | None = None, after_step: int | None = None
) -> int | None:
    """The time step ``code`` belongs to (within the drift), or None.

    Steps at or before ``after_step`` are refused, so a code works once.
    """
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    current = step_at(time.time() if now is None else now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if after_step is not None and step <= after_step:
            continue
        if hmac.compare_digest(hotp(secret, step), code):
            return step
    return None


def provisioning_uri(secret: str, account: str, issuer: str = "Vague verte") -> str:
    """The ``otpauth://`` URI an authenticator app reads (usually from a QR code)."""
    label = urllib.parse.quote(f"{issuer}:{account}")
    query = urllib.parse.urlencode(
        {"secret": secret, "issuer": issuer, "digits": DIGITS, "period": STEP_SECONDS}
    )
    return f"otpauth://totp/{label}?{query}"
