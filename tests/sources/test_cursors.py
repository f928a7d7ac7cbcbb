import datetime as dt

from wall.sources import cursors
from wall.sources.cursors import Walk


def test_round_trip_and_unreadable_cursors() -> None:
    state = {"persévert2024": {"since": "12"}}
    encoded = cursors.encode(state)
    assert encoded is not None and "persévert2024" in encoded  # readable in the database
    assert cursors.decode(encoded) == state
    assert cursors.encode({}) is None
    for bad in (None, "", "{", "[]", '{"v": 2, "tags": {}}', '{"v": 1, "tags": []}'):
        assert cursors.decode(bad) == {}


def test_time_key_orders_as_text() -> None:
    early = dt.datetime(2024, 2, 15, 9, 59, 59, 999999, tzinfo=dt.UTC)
    late = dt.datetime(2024, 2, 15, 5, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert cursors.time_key(early) == "2024-02-15T09:59:59.999999Z"
    assert cursors.time_key(early) < cursors.time_key(late) == "2024-02-15T10:00:00.000000Z"


def order(value: str) -> tuple[int, str]:
    return (len(value), value)


def test_first_read_takes_the_head_only() -> None:
    assert Walk().advance(["7", "9", "8"], "next") == Walk(since="9")
    assert Walk().advance([], None) == Walk()


def test_a_page_entirely_newer_starts_a_catch_up() -> None:
    walk = Walk(since="100").advance(["150", "120"], "120", order=order)
    assert walk == Walk(since="100", top="150", page="120")
    walk = walk.advance(["119", "101"], "101", order=order)
    assert walk == Walk(since="100", top="150", page="101")
    assert walk.advance(["100", "99"], "99", order=order) == Walk(since="150")


def test_catch_up_ends_without_a_next_page_or_posts() -> None:
    assert Walk(since="100").advance(["150"], None, order=order) == Walk(since="150")
    assert Walk(since="100", top="150", page="p").advance([], "q") == Walk(since="150")


def test_numeric_order_is_not_text_order() -> None:
    assert Walk(since="999").advance(["1000"], None, order=order) == Walk(since="1000")


def test_load_ignores_wrong_shapes() -> None:
    assert Walk.load(None) == Walk()
    assert Walk.load({"since": 5, "page": "p"}) == Walk(page="p")
    assert Walk.load(Walk(since="1", top="2").dump()) == Walk("1", "2", None)
