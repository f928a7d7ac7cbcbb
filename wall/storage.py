"""A full disk: the one rule that turns "no space left" into ``507 disk_full``.

Uploads write twice before their row is committed: the spool copy under
``WALL_DATA_DIR/tmp`` and the derivatives under ``WALL_DATA_DIR/media``.
Either write can meet a full disk (``ENOSPC``) or an exhausted quota
(``EDQUOT``). Both writers already remove what they had begun, so the only
thing left to do is to tell the visitor, in French, that the wall is out of
room rather than answering a bare 500.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from wall.errors import WallError

FULL_DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})

log = logging.getLogger(__name__)


class StorageFull(WallError):
    code = "disk_full"
    status = 507
    message = "Le serveur n'a plus d'espace pour enregistrer les photos. Réessaie un peu plus tard."


def is_full_disk(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in FULL_DISK_ERRNOS


@contextmanager
def full_disk_refused() -> Iterator[None]:
    """Raise ``StorageFull`` instead of an ``OSError`` saying the disk or quota is full."""
    try:
        yield
    except OSError as exc:
        if is_full_disk(exc):
            # One line for the operator, no traceback: the cause is known.
            log.error("upload refused, storage full: %s", exc)
            raise StorageFull() from exc
        raise
