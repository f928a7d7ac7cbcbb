"""Content-addressed files under the media directory, and the public directory.

Every file lives in the private directory (``<data>/media``). A file that the
public may see, a public derivative of an approved photo, is also hard-linked
into the public directory (``<data>/public/media``), and only there while the
photo stays approved (``wall.media.publication`` keeps it so). A proxy serves
that directory, or a cache of the app's answers from it, without Python; the
app itself answers a public request with one ``stat`` and no query.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

CONTENT_TYPES = {"jpg": "image/jpeg", "webp": "image/webp"}
_HEX = frozenset("0123456789abcdef")
_STEM_LENGTH = 40
_TEMP_PREFIX = ".tmp-"


def is_store_name(name: str) -> bool:
    """True for ``<40 hex digits>.<jpg|webp>``: a name this store could have written."""
    stem, dot, extension = name.partition(".")
    return (
        dot == "."
        and extension in CONTENT_TYPES
        and len(stem) == _STEM_LENGTH
        and set(stem) <= _HEX
    )


class MediaStore:
    """Writes files named by the hash of their bytes, atomically.

    Identical bytes get the same name, so two photos may share a file: delete
    a name only when nothing else references it, or leave the clean-up to
    ``sweep_orphans`` with the full set of referenced names.
    """

    def __init__(self, root: Path, public_root: Path | None = None) -> None:
        self.root = root
        # Beside the private directory, so one hard link is enough (same file system).
        self.public_root = public_root or root.parent / "public" / root.name

    @staticmethod
    def name_for(data: bytes, extension: str) -> str:
        """The name ``data`` gets in any store: ``<sha256 prefix>.<extension>``."""
        if extension not in CONTENT_TYPES:
            raise ValueError(f"unsupported extension {extension!r}")
        return f"{hashlib.sha256(data).hexdigest()[:_STEM_LENGTH]}.{extension}"

    def write(self, data: bytes, extension: str) -> str:
        """Store ``data`` and return its file name (see ``name_for``)."""
        name = self.name_for(data, extension)
        target = self.root / name
        if target.exists():
            # Refresh the age so a sweep running now does not take a file that a
            # new, not yet recorded, photo is about to reference.
            os.utime(target)
            return name
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=_TEMP_PREFIX)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return name

    def path(self, name: str) -> Path | None:
        """The path of a stored file, or None for a name that is not one of ours."""
        if not is_store_name(name):
            return None
        path = self.root / name
        return path if path.is_file() else None

    def delete(self, names: Iterable[str]) -> None:
        for name in names:
            self.unpublish(name)
            path = self.path(name)
            if path is not None:
                path.unlink(missing_ok=True)

    def public_path(self, name: str) -> Path | None:
        """Where a published file is served from (whether it is published or not)."""
        return self.public_root / name if is_store_name(name) else None

    def publish(self, name: str) -> bool:
        """Link a stored file into the public directory; True if it was not there."""
        source, target = self.path(name), self.public_path(name)
        if source is None or target is None:
            return False
        self.public_root.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, target)
        except FileExistsError:
            return False
        return True

    def unpublish(self, name: str) -> bool:
        """Take a file out of the public directory; True if it was there."""
        target = self.public_path(name)
        if target is None:
            return False
        try:
            target.unlink()
        except FileNotFoundError:
            return False
        return True

    def published(self) -> set[str]:
        """The names in the public directory."""
        if not self.public_root.is_dir():
            return set()
        with os.scandir(self.public_root) as entries:
            return {entry.name for entry in entries if is_store_name(entry.name)}

    @staticmethod
    def content_type(name: str) -> str:
        return CONTENT_TYPES[name.rpartition(".")[2]]

    def sweep_orphans(self, known_names: set[str], older_than_seconds: float) -> int:
        """Delete stored files not in ``known_names`` and older than the given age.

        Recent files are kept so that an upload whose database row is not yet
        committed is never raced; left-over temporary files of interrupted
        writes are removed by the same rule. Files the store did not name are
        left alone. Returns the number of files removed.
        """

        def spare(name: str) -> bool:
            ours = is_store_name(name) or name.startswith(_TEMP_PREFIX)
            return not ours or name in known_names

        return remove_stale_files(self.root, older_than_seconds, spare)


def remove_stale_files(
    directory: Path, older_than_seconds: float, spare: Callable[[str], bool]
) -> int:
    """Delete the plain files of ``directory`` older than the given age, except those
    whose name ``spare`` keeps; links and folders are left alone. Returns how many."""
    if not directory.is_dir():
        return 0
    cutoff = time.time() - older_than_seconds
    removed = 0
    with os.scandir(directory) as entries:
        for entry in entries:
            if spare(entry.name):
                continue
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
                if entry.stat(follow_symlinks=False).st_mtime > cutoff:
                    continue
                os.unlink(entry.path)
            except FileNotFoundError:
                continue
            removed += 1
    return removed
