"""Content-addressed files under the media directory."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

CONTENT_TYPES = {"jpg": "image/jpeg", "webp": "image/webp"}


class MediaStore:
    """Writes files named by the hash of their bytes, atomically."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, data: bytes, extension: str) -> str:
        """Store ``data`` and return its file name (``<sha256>.<extension>``)."""
        if extension not in CONTENT_TYPES:
            raise ValueError(f"unsupported extension {extension!r}")
        name = f"{hashlib.sha256(data).hexdigest()[:40]}.{extension}"
        target = self.root / name
        if target.exists():
            return name
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return name

    def path(self, name: str) -> Path | None:
        """The path of a stored file, or None for a name that is not one of ours."""
        stem, _, extension = name.partition(".")
        if (
            extension not in CONTENT_TYPES
            or len(stem) != 40
            or not all(c in "0123456789abcdef" for c in stem)
        ):
            return None
        path = self.root / name
        return path if path.is_file() else None

    def delete(self, names: Iterable[str]) -> None:
        for name in names:
            path = self.path(name)
            if path is not None:
                path.unlink(missing_ok=True)

    @staticmethod
    def content_type(name: str) -> str:
        return CONTENT_TYPES[name.rpartition(".")[2]]
