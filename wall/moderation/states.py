"""The moderation state machine, as data.

``TRANSITIONS`` maps ``(status, action)`` to what happens: the new status,
the public event it emits (if any), what it does to ``pinned`` and the role
the actor needs. A pair that is not in the table is a forbidden transition
(``409``). ``ERASED`` is terminal: no row leaves it, whoever asks
(``409 withdrawn``). ``UNDO`` says which decisions a moderator may take back within
``UNDO_WINDOW``, and how.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    REMOVED = "removed"
    # Files and personal fields deleted; an anonymous tombstone stays (wall.moderation.erasure).
    ERASED = "erased"


class Action(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    REMOVE = "remove"
    PIN = "pin"
    UNPIN = "unpin"
    # An admin puts a removed photo back in the queue.
    RESTORE = "restore"
    # The uploader deletes their own photo through its private manage link.
    WITHDRAW = "withdraw"
    # An admin deletes a photo for good, whatever its status.
    ERASE = "erase"
    # A moderator grants a public removal request: the photo is deleted for good.
    ERASE_ON_REQUEST = "erase_on_request"


# What moderators read in French sentences: never the codes themselves.
STATUS_NAMES_FR: dict[Status, str] = {
    Status.PENDING: "à traiter",
    Status.APPROVED: "approuvée",
    Status.REJECTED: "refusée",
    Status.REMOVED: "retirée",
    Status.ERASED: "supprimée définitivement",
}
ACTION_NAMES_FR: dict[Action, str] = {
    Action.APPROVE: "approuver",
    Action.REJECT: "refuser",
    Action.REMOVE: "retirer",
    Action.PIN: "épingler",
    Action.UNPIN: "désépingler",
    Action.RESTORE: "remettre dans la file",
    Action.WITHDRAW: "retirer à la demande de la personne",
    Action.ERASE: "supprimer définitivement",
    Action.ERASE_ON_REQUEST: "supprimer sur demande de retrait",
}


@dataclass(frozen=True)
class Transition:
    to: Status
    event: str | None
    pinned: bool | None = None  # the new value, or None to keep it
    role: str | None = None  # the role the actor needs; None: any moderator or rule


S, A = Status, Action
TRANSITIONS: dict[tuple[Status, Action], Transition] = {
    (S.PENDING, A.APPROVE): Transition(S.APPROVED, "photo.approved", pinned=False),
    (S.PENDING, A.REJECT): Transition(S.REJECTED, None),
    (S.PENDING, A.REMOVE): Transition(S.REMOVED, None),
    (S.REJECTED, A.APPROVE): Transition(S.APPROVED, "photo.approved", pinned=False),
    (S.REJECTED, A.REMOVE): Transition(S.REMOVED, None),
    (S.APPROVED, A.REMOVE): Transition(S.REMOVED, "photo.removed", pinned=False),
    (S.APPROVED, A.PIN): Transition(S.APPROVED, "photo.updated", pinned=True),
    (S.APPROVED, A.UNPIN): Transition(S.APPROVED, "photo.updated", pinned=False),
    (S.REMOVED, A.RESTORE): Transition(S.PENDING, None, role="admin"),
    # Deleted for good: files and personal fields go, a tombstone stays.
    (S.PENDING, A.WITHDRAW): Transition(S.ERASED, None),
    (S.REJECTED, A.WITHDRAW): Transition(S.ERASED, None),
    (S.REMOVED, A.WITHDRAW): Transition(S.ERASED, None),
    (S.APPROVED, A.WITHDRAW): Transition(S.ERASED, "photo.removed", pinned=False),
    (S.PENDING, A.ERASE): Transition(S.ERASED, None, role="admin"),
    (S.REJECTED, A.ERASE): Transition(S.ERASED, None, role="admin"),
    (S.REMOVED, A.ERASE): Transition(S.ERASED, None, role="admin"),
    (S.APPROVED, A.ERASE): Transition(S.ERASED, "photo.removed", pinned=False, role="admin"),
    (S.PENDING, A.ERASE_ON_REQUEST): Transition(S.ERASED, None),
    (S.REJECTED, A.ERASE_ON_REQUEST): Transition(S.ERASED, None),
    (S.REMOVED, A.ERASE_ON_REQUEST): Transition(S.ERASED, None),
    (S.APPROVED, A.ERASE_ON_REQUEST): Transition(S.ERASED, "photo.removed", pinned=False),
}

# Actions a person takes on the queue (the uploader's withdraw and the
# erasure that resolving a removal request brings are taken elsewhere).
MODERATOR_ACTIONS = tuple(a for a in Action if a not in (A.WITHDRAW, A.ERASE_ON_REQUEST))
# Actions offered on a selection of photos at once.
BULK_ACTIONS = frozenset({Action.APPROVE, Action.REJECT})


@dataclass(frozen=True)
class Undo:
    """How to take back a decision: back to its ``from_status``, emitting ``event``."""

    event: str | None
    pinned: bool | None = None


# A moderator may take back their own last decision within UNDO_WINDOW, when
# nothing else happened to the photo since. Takedowns and restores are
# deliberate and are not undone this way.
UNDO_ACTION = "undo"
UNDO_WINDOW = dt.timedelta(seconds=30)
UNDO: dict[Action, Undo] = {
    A.APPROVE: Undo("photo.removed", pinned=False),  # screens drop it again
    A.REJECT: Undo(None),
    A.PIN: Undo("photo.updated", pinned=False),
    A.UNPIN: Undo("photo.updated", pinned=True),
}

# Statuses whose media and data may be shown to the public.
PUBLIC_STATUSES = frozenset({Status.APPROVED})
# Statuses no action leaves.
TERMINAL_STATUSES = frozenset({Status.ERASED})


def next_transition(status: Status, action: Action, *, pinned: bool) -> Transition | None:
    """The transition for ``action`` from ``status``, or None when it is forbidden.

    Pinning a pinned photo (or unpinning an unpinned one) is forbidden too:
    it would emit an event that changes nothing.
    """
    transition = TRANSITIONS.get((status, action))
    if transition is None:
        return None
    if action in (Action.PIN, Action.UNPIN) and transition.pinned == pinned:
        return None
    return transition
