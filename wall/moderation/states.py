"""The moderation state machine, as data.

``TRANSITIONS`` maps ``(status, action)`` to what happens: the new status,
the public event it emits (if any) and what it does to ``pinned``. A pair
that is not in the table is a forbidden transition (``409``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    REMOVED = "removed"


class Action(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    REMOVE = "remove"
    PIN = "pin"
    UNPIN = "unpin"
    # The uploader deletes their own photo through its private manage link.
    WITHDRAW = "withdraw"


@dataclass(frozen=True)
class Transition:
    to: Status
    event: str | None
    pinned: bool | None = None  # the new value, or None to keep it


S, A = Status, Action
TRANSITIONS: dict[tuple[Status, Action], Transition] = {
    (S.PENDING, A.APPROVE): Transition(S.APPROVED, "photo.approved", pinned=False),
    (S.PENDING, A.REJECT): Transition(S.REJECTED, None),
    (S.PENDING, A.REMOVE): Transition(S.REMOVED, None),
    (S.PENDING, A.WITHDRAW): Transition(S.REMOVED, None),
    (S.REJECTED, A.APPROVE): Transition(S.APPROVED, "photo.approved", pinned=False),
    (S.REJECTED, A.REMOVE): Transition(S.REMOVED, None),
    (S.REJECTED, A.WITHDRAW): Transition(S.REMOVED, None),
    (S.APPROVED, A.REMOVE): Transition(S.REMOVED, "photo.removed", pinned=False),
    (S.APPROVED, A.WITHDRAW): Transition(S.REMOVED, "photo.removed", pinned=False),
    (S.APPROVED, A.PIN): Transition(S.APPROVED, "photo.updated", pinned=True),
    (S.APPROVED, A.UNPIN): Transition(S.APPROVED, "photo.updated", pinned=False),
}

# Statuses whose media and data may be shown to the public.
PUBLIC_STATUSES = frozenset({Status.APPROVED})


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
