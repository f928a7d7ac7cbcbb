"""Sealing source credentials for the database: AES-256-GCM, a key derived from the wall's secret.

The key is derived with HKDF-SHA256 from ``WALL_SECRET_KEY`` (or the key the
wall generated into its data directory), for this one purpose, so the same
secret signing cookies never encrypts anything directly. Each sealed value
is bound to its source's name (associated data): a sealed value copied onto
another row does not open. A sealed value is ``v1.`` + URL-safe base64 of
the 12-byte nonce and the ciphertext with its tag.

Credentials are opened only to build the adapter that sends them to the
network; nothing shows, logs or audits them.
"""

from __future__ import annotations

import base64
import binascii
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "v1."
PURPOSE = b"vague-verte/source-credentials/v1"
NONCE_BYTES = 12


class UnreadableCredentials(Exception):
    """A sealed value this key cannot open: the secret key changed, or the row was altered."""


class CredentialBox:
    """Seals and opens one source's credentials (a mapping of field to text)."""

    def __init__(self, secret_key: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=PURPOSE).derive(
            secret_key.encode("utf-8")
        )
        self._aead = AESGCM(key)

    def seal(self, source_name: str, credentials: dict[str, str]) -> str | None:
        """The sealed text of ``credentials``; None when there is none to keep."""
        if not credentials:
            return None
        nonce = os.urandom(NONCE_BYTES)
        plain = json.dumps(credentials, sort_keys=True).encode("utf-8")
        sealed = self._aead.encrypt(nonce, plain, _bound(source_name))
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, source_name: str, sealed: str | None) -> dict[str, str]:
        """The credentials sealed for ``source_name``; raises ``UnreadableCredentials``."""
        if not sealed:
            return {}
        if not sealed.startswith(PREFIX):
            raise UnreadableCredentials("unknown sealing format")
        try:
            raw = base64.urlsafe_b64decode(sealed[len(PREFIX) :].encode("ascii"))
            plain = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _bound(source_name))
            value = json.loads(plain)
        except (InvalidTag, ValueError, binascii.Error) as exc:
            raise UnreadableCredentials("the credentials cannot be opened with this key") from exc
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise UnreadableCredentials("the sealed credentials are not a mapping of text")
        return value


def _bound(source_name: str) -> bytes:
    return f"managed_sources:{source_name}".encode()
