"""Walk the whole state machine through ``service.decide`` on a real database."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from tests.factories import add_moderator
from tests.moderation.factories import database, network_photo
from wall.config import Settings
from wall.errors import Conflict
from wall.models import Moderator, Photo
from wall.moderation import service
from wall.moderation.states import TRANSITIONS, UNDO, Action, Status, next_transition


async def _photo_in(settings: Settings, status: Status, pinned: bool) -> str:
    photo_id = await network_photo(settings, author_handle=None)
    async with database(settings) as db, db.writing() as session:
        photo = await session.get(Photo, photo_id)
        assert photo is not None
        # Set up the starting point directly: the state under test, not a path to it.
        photo.status, photo.pinned = status.value, pinned and status is Status.APPROVED
    return photo_id


@pytest.mark.parametrize("status", list(Status))
async def test_every_pair_of_the_table(settings: Settings, status: Status) -> None:
    await add_moderator(settings)
    for action, pinned in itertools.product(Action, [False, True]):
        if pinned and status is not Status.APPROVED:
            continue
        photo_id = await _photo_in(settings, status, pinned)
        expected = next_transition(status, action, pinned=pinned)
        async with database(settings) as db, db.writing() as session:
            admin = await session.scalar(select(Moderator))
            try:
                photo = await service.decide(session, photo_id, action, moderator=admin)
            except Conflict:
                assert expected is None, (status, action, pinned)
                continue
            assert expected is not None, (status, action, pinned)
            assert photo.status == expected.to.value
            if expected.pinned is not None:
                assert photo.pinned is expected.pinned


def test_the_tables_are_consistent() -> None:
    assert all(t.role in (None, "admin") for t in TRANSITIONS.values())
    assert TRANSITIONS[(Status.REMOVED, Action.RESTORE)].role == "admin"
    # Only reversible moderator decisions can be undone; a takedown never.
    assert Action.REMOVE not in UNDO and Action.WITHDRAW not in UNDO
    for action in UNDO:
        assert any(a is action for _, a in TRANSITIONS)
    # No public status can be reached except through approval.
    for (_, action), transition in TRANSITIONS.items():
        if transition.event == "photo.approved":
            assert action is Action.APPROVE
