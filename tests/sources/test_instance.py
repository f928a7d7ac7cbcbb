"""Which software answers, from instance documents recorded on real servers."""

from __future__ import annotations

import pytest
from conftest import fixture_json

from wall.sources import instance


@pytest.mark.parametrize(
    ("network", "name", "expected"),
    [
        # Mastodon.py's recorded session against Mastodon 4.6.4, and mastodon.social.
        ("mastodon", "recorded_instance_v2.json", "mastodon"),
        ("mastodon", "recorded_instance_v2_mastodon_social.json", "mastodon"),
        # GoToSocial's own test data: v2 names its source, v1 only a 0.x version.
        ("gotosocial", "instance_v2.json", "gotosocial"),
        ("gotosocial", "instance_v1.json", "unknown"),
        # TootSDK's recorded answers: pixelfed.social (v1 and v2), an Akkoma
        # and a Pleroma server, and a Firefish server claiming Mastodon 4.2.8,
        # which must not be taken for Mastodon (its ids are no snowflakes).
        ("pixelfed", "recorded_instance_v1.json", "pixelfed"),
        ("pixelfed", "recorded_instance_v2.json", "pixelfed"),
        ("akkoma", "recorded_instance_v1.json", "akkoma"),
        ("pleroma", "recorded_instance_v2.json", "pleroma"),
        ("firefish", "recorded_instance_v2.json", "unknown"),
    ],
)
def test_recorded_instance_documents(network: str, name: str, expected: str) -> None:
    assert instance.software_of(fixture_json(network, name)) == expected


@pytest.mark.parametrize(
    ("version", "source_url", "expected"),
    [
        ("2.7.2 (compatible; Akkoma 3.13.2)", None, "akkoma"),
        ("2.7.2 (compatible; Akkoma 3.10.3-202-g1b838627-1-CI-COMMIT-TAG---)", None, "akkoma"),
        ("2.7.2 (compatible; Pleroma 2.5.54-640-gacbec640.develop+soapbox)", None, "pleroma"),
        ("3.5.3 (compatible; Pixelfed 0.12.4)", None, "pixelfed"),
        ("4.2.1 (compatible; Iceshrimp 2023.12-pre3)", None, "unknown"),
        ("0.17.0", "https://github.com/superseriousbusiness/gotosocial", "gotosocial"),
        ("4.3.0+glitch", None, "mastodon"),  # glitch-soc keeps Mastodon's snowflakes
        ("3.5.3", None, "mastodon"),  # an older Mastodon answers v1 only, without source_url
        ("0.16.0+git-abcdef", None, "unknown"),  # not Mastodon, and not sure what
        ("", None, "unknown"),
    ],
)
def test_version_strings(version: str, source_url: str | None, expected: str) -> None:
    document = {"version": version} | ({"source_url": source_url} if source_url else {})
    assert instance.software_of(document) == expected


@pytest.mark.parametrize("document", [None, [], "4.2.0", {"version": 4}])
def test_garbage_is_unknown(document: object) -> None:
    assert instance.software_of(document) == "unknown"


def test_streaming_base() -> None:
    social = fixture_json("mastodon", "recorded_instance_v2_mastodon_social.json")
    assert instance.streaming_base(social) == "https://streaming.mastodon.social"
    local = fixture_json("mastodon", "recorded_instance_v2.json")
    assert instance.streaming_base(local) == "http://localhost:4000"
    assert instance.streaming_base({"urls": {"streaming_api": "wss://x.example/"}}) == (
        "https://x.example"
    )
    assert instance.streaming_base({"configuration": {}}) is None
