"""Settings from WALL_* variables: defaults, one-line errors, documented."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from wall.config import SETTINGS, ConfigError, Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def test_defaults_need_no_environment() -> None:
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite+aiosqlite:///var/wall.db"
    assert settings.hashtags == ("perséVERT2024",)
    assert settings.event_date == dt.date(2024, 2, 15)
    assert settings.max_upload_bytes == 25 * 1024 * 1024
    assert len(settings.regions) == 17


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WALL_DATABASE_URL", "mysql://nope"),
        ("WALL_EVENT_DATE", "15 février"),
        ("WALL_TIMEZONE", "Mars/Olympus"),
        ("WALL_MAX_UPLOAD_MB", "0"),
        ("WALL_UPLOAD_LIMIT_PER_HOUR", "-1"),
        ("WALL_UPLOAD_LIMIT_PER_HOUR", "beaucoup"),
        ("WALL_HASHTAGS", " , "),
        ("WALL_METRICS_NETWORKS", "intranet"),
        ("WALL_METRICS_NETWORKS", "*"),
        ("WALL_TRUSTED_PROXIES", "10.0.0.1,proxy.local"),
        ("WALL_LOG_FORMAT", "xml"),
        ("WALL_HEARTBEAT_SECONDS", "0"),
        ("WALL_UPLOADS_OPEN_AT", "2024-02-15T08:00"),
        ("WALL_FRAME_ANCESTORS", "'self'; script-src *"),
        ("WALL_FRAME_ANCESTORS", "*"),
        ("WALL_FRAME_ANCESTORS", "https://a.example,https://b.example"),
        ("WALL_FRAME_ANCESTORS", "'none' https://a.example"),
        ("WALL_FRAME_ANCESTORS", "javascript:"),
        ("WALL_FRAME_ANCESTORS", " "),
        ("WALL_BODY_TIMEOUT_SECONDS", "0"),
        ("WALL_MAX_CONCURRENT_UPLOADS", "-1"),
    ],
)
def test_bad_values_give_one_clear_line(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env({name: value})
    message = str(error.value)
    assert message.startswith(name + ":")
    assert "\n" not in message


def test_network_lists_parse_their_items() -> None:
    """Only the trusted proxies may be ``*`` (any); the metrics networks may be empty."""
    settings = Settings.from_env(
        {"WALL_TRUSTED_PROXIES": "*", "WALL_METRICS_NETWORKS": " 10.0.0.0/8, ::1 "}
    )
    assert settings.trusted_proxies == ("*",)
    assert settings.metrics_networks == ("10.0.0.0/8", "::1")
    assert Settings.from_env({"WALL_METRICS_NETWORKS": " "}).metrics_networks == ()


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = README.read_text()
    missing = [s.env for s in SETTINGS if f"`{s.env}`" not in readme]
    assert missing == []


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("'self'", "'self'"),
        ("'SELF'  https://partenaire.example", "'self' https://partenaire.example"),
        ("'none'", "'none'"),
        ("https:", "https:"),
        (
            "*.cssdm.gouv.qc.ca https://mur.example:8443",
            "*.cssdm.gouv.qc.ca https://mur.example:8443",
        ),
    ],
)
def test_frame_ancestors_accept_csp_sources(raw: str, parsed: str) -> None:
    assert Settings.from_env({"WALL_FRAME_ANCESTORS": raw}).frame_ancestors == parsed


def test_each_default_is_written_once_in_the_table() -> None:
    """``Settings()`` and an empty environment agree, and the dataclass repeats no default."""
    import dataclasses
    import inspect

    from wall import config

    assert Settings() == Settings.from_env({})
    fields = {f.name for f in dataclasses.fields(Settings)}
    assert fields == {setting.attr for setting in SETTINGS}
    body = inspect.getsource(config.Settings).split("@classmethod", 1)[0]
    for name in fields:
        assert f"{name}: " in body and f'= DEFAULTS["{name}"]' in body, name
