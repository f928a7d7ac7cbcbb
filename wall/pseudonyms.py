"""Keyed hashes that stand in for what people type or where they come from.

An HMAC-SHA256 under the wall's secret key: the same input always gives the
same pseudonym, so attempts can still be counted and grouped, but without
the key nobody can check a guessed name or address against a stored value,
as they could against a plain digest (a dictionary of first names, or all
4 billion IPv4 addresses, is hashed in minutes). ``purpose`` separates the
uses, so one pseudonym never matches another kind of value.
"""

from __future__ import annotations

import hashlib
import hmac


def pseudonym(secret_key: str, purpose: str, value: str) -> str:
    """The keyed hash of ``value`` for ``purpose``, 40 hex digits."""
    message = f"{purpose}\0{value}".encode("utf-8", "surrogatepass")
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()[:40]
