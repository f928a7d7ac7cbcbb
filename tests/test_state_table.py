"""The state machine table, walked whole."""

from __future__ import annotations

import itertools

from wall.moderation.states import TRANSITIONS, Action, Status, next_transition


def test_every_status_and_action_is_decided_by_the_table() -> None:
    for status, action in itertools.product(Status, Action):
        transition = next_transition(status, action, pinned=False)
        if (status, action) not in TRANSITIONS:
            assert transition is None, (status, action)
        elif action is Action.UNPIN:
            assert transition is None  # unpinning an unpinned photo changes nothing
        else:
            assert transition is TRANSITIONS[(status, action)]


def test_only_approved_photos_are_public_and_events_match() -> None:
    for (status, _action), transition in TRANSITIONS.items():
        if transition.to is Status.APPROVED and status is not Status.APPROVED:
            assert transition.event == "photo.approved"
        if status is Status.APPROVED and transition.to is not Status.APPROVED:
            assert transition.event == "photo.removed"
        if Status.APPROVED not in (status, transition.to):
            assert transition.event is None  # never shown, nothing to tell screens


def test_nothing_leaves_removed_without_an_explicit_rule() -> None:
    assert not any(
        status is Status.REMOVED and t.to is Status.APPROVED
        for (status, _), t in TRANSITIONS.items()
    )


def test_pin_rules() -> None:
    assert next_transition(Status.APPROVED, Action.PIN, pinned=True) is None
    assert next_transition(Status.APPROVED, Action.UNPIN, pinned=True) is not None
    assert next_transition(Status.PENDING, Action.PIN, pinned=False) is None
