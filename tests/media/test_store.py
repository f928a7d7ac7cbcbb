from __future__ import annotations

import os
import time

import pytest

from wall.media import MediaStore


def age(store: MediaStore, name: str, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(store.root / name, (then, then))


def test_write_is_content_addressed(store: MediaStore) -> None:
    first = store.write(b"abc", "jpg")
    assert first == store.write(b"abc", "jpg")
    assert first != store.write(b"abd", "jpg")
    assert first.endswith(".jpg") and len(first) == 44
    path = store.path(first)
    assert path is not None and path.read_bytes() == b"abc"
    assert store.content_type(first) == "image/jpeg"
    assert store.content_type(store.write(b"abc", "webp")) == "image/webp"


def test_write_refuses_other_extensions(store: MediaStore) -> None:
    with pytest.raises(ValueError):
        store.write(b"<svg/>", "svg")


@pytest.mark.parametrize(
    "name",
    ["../etc/passwd", "a" * 40 + ".svg", "A" * 40 + ".jpg", "a" * 39 + ".jpg", "", ".jpg"],
)
def test_path_refuses_names_that_are_not_ours(store: MediaStore, name: str) -> None:
    assert store.path(name) is None


def test_path_of_a_missing_file_is_none(store: MediaStore) -> None:
    assert store.path("0" * 40 + ".jpg") is None


def test_delete(store: MediaStore) -> None:
    name = store.write(b"abc", "jpg")
    store.delete([name, "../nope", "0" * 40 + ".jpg"])
    assert store.path(name) is None


def test_sweep_removes_old_unreferenced_files_only(store: MediaStore) -> None:
    kept = store.write(b"kept", "jpg")
    orphan = store.write(b"orphan", "webp")
    fresh = store.write(b"fresh", "jpg")
    (store.root / "README.txt").write_text("not ours")
    stale_temp = store.root / ".tmp-abc123"
    stale_temp.write_bytes(b"half")
    for name in (kept, orphan, "README.txt", stale_temp.name):
        age(store, name, 3600)

    assert store.sweep_orphans({kept}, older_than_seconds=600) == 2
    assert sorted(p.name for p in store.root.iterdir()) == sorted([kept, fresh, "README.txt"])


def test_rewriting_an_existing_file_protects_it_from_a_sweep(store: MediaStore) -> None:
    name = store.write(b"same bytes", "jpg")
    age(store, name, 3600)
    assert store.write(b"same bytes", "jpg") == name  # a new upload of the same picture
    assert store.sweep_orphans(set(), older_than_seconds=600) == 0
    assert store.path(name) is not None


def test_sweep_of_a_missing_root(store: MediaStore) -> None:
    assert store.sweep_orphans(set(), older_than_seconds=0) == 0
