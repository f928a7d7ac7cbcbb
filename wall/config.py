"""Settings from ``WALL_*`` environment variables.

Every setting is one row of ``SETTINGS``: its variable, default, parser and
help text. ``Settings.from_env()`` reads them all and raises ``ConfigError``
with one clear line for a bad value. The README's configuration table is
checked against this table by the tests.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
import os
import re
import urllib.parse
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wall import face_blurring

# Two caches in a row (a proxy or CDN, then a browser) keep a removed photo 2x this.
MAX_MEDIA_CACHE_SECONDS = 30
KEEP_DAYS_AFTER_EVENT = 30

QUEBEC_REGIONS: tuple[str, ...] = (
    "Bas-Saint-Laurent",
    "Saguenay–Lac-Saint-Jean",
    "Capitale-Nationale",
    "Mauricie",
    "Estrie",
    "Montréal",
    "Outaouais",
    "Abitibi-Témiscamingue",
    "Côte-Nord",
    "Nord-du-Québec",
    "Gaspésie–Îles-de-la-Madeleine",
    "Chaudière-Appalaches",
    "Laval",
    "Lanaudière",
    "Laurentides",
    "Montérégie",
    "Centre-du-Québec",
)


# The Journées de la persévérance scolaire last a week; people post early.
CAMPAIGN_DAYS_BEFORE_EVENT = 7

# WALL_UNDER_14: who may consent for a person under 14 (wall.consent.under_14_allowed).
UNDER_14_POLICIES = ("parent", "school", "refuse")

# Settings a public (https) wall must set: what the notice and the policy name.
# The organizer's names are refused while they are still the example defaults.
REQUIRED_IN_PRODUCTION = (
    ("WALL_ORGANIZER", "organizer"),
    ("WALL_ORGANIZER_EN", "organizer_en"),
    ("WALL_ORGANIZER_ADDRESS", "organizer_address"),
    ("WALL_PRIVACY_OFFICER_NAME", "privacy_officer_name"),
    ("WALL_PRIVACY_OFFICER_CONTACT", "privacy_officer_contact"),
    ("WALL_HOSTING_LOCATION", "hosting_location"),
)


class ConfigError(Exception):
    """A configuration value that cannot be used; the message is one line."""


def _text(raw: str) -> str:
    return raw.strip()


def _optional_text(raw: str) -> str | None:
    return raw.strip() or None


def _int_at_least(minimum: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise ValueError(f"expected a whole number, got {raw!r}") from None
        if value < minimum:
            raise ValueError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def _positive_float(raw: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise ValueError(f"expected a number, got {raw!r}") from None
    if value <= 0:
        raise ValueError(f"must be greater than 0, got {value}")
    return value


def _non_negative_float(raw: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise ValueError(f"expected a number, got {raw!r}") from None
    if value < 0:
        raise ValueError(f"must be 0 or more, got {value}")
    return value


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("", "0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {raw!r}")


def _csv(raw: str) -> tuple[str, ...]:
    items = tuple(part.strip() for part in raw.split(",") if part.strip())
    if not items:
        raise ValueError("expected at least one comma-separated value")
    return items


def _date(raw: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise ValueError(f"expected a date like 2024-02-15, got {raw!r}") from None


def _timezone(raw: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(raw.strip())
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {raw!r}") from None


def _database_url(raw: str) -> str:
    url = raw.strip()
    if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ValueError(
            "expected an async SQLAlchemy URL starting with sqlite+aiosqlite:// "
            f"or postgresql+asyncpg://, got {url!r}"
        )
    return url


def _choice(*choices: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {raw!r}")
        return value

    return parse


def _int_between(minimum: int, maximum: int, why: str) -> Callable[[str], int]:
    at_least = _int_at_least(minimum)

    def parse(raw: str) -> int:
        value = at_least(raw)
        if value > maximum:
            raise ValueError(f"must be at most {maximum} ({why}), got {value}")
        return value

    return parse


def _optional_public_url(raw: str) -> str | None:
    text = raw.strip().rstrip("/")
    if not text:
        return None
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"expected an address like https://mur.example.org, got {raw!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"expected no query nor fragment, got {raw!r}")
    return text


def _networks(items: tuple[str, ...], *, any_allowed: bool) -> tuple[str, ...]:
    """Check each item is an address or network (CIDR), or ``*`` when ``any_allowed``."""
    for item in items:
        if any_allowed and item == "*":
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ValueError(f"expected IP addresses or networks (CIDR), got {item!r}") from None
    return items


def _trusted_proxies(raw: str) -> tuple[str, ...]:
    """Addresses or networks (CIDR), or ``*`` for any: uvicorn's ``forwarded_allow_ips``."""
    return _networks(_csv(raw), any_allowed=True)


def _optional_networks(raw: str) -> tuple[str, ...]:
    """Addresses or networks (CIDR), comma-separated; empty for none."""
    return _networks(_csv(raw), any_allowed=False) if raw.strip() else ()


def _http_method(raw: str) -> str:
    value = raw.strip().upper()
    if not value.isalpha():
        raise ValueError(f"expected an HTTP method such as POST or PURGE, got {raw!r}")
    return value


def _optional_date(raw: str) -> dt.date | None:
    return _date(raw) if raw.strip() else None


def _optional_datetime(raw: str) -> dt.datetime | None:
    text = raw.strip()
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"expected an ISO-8601 date-time, got {raw!r}") from None
    if value.tzinfo is None:
        raise ValueError(f"give a time zone offset, e.g. {text}-05:00")
    return value


# CSP source expressions a partner's embedding page may be named by: 'self',
# 'none', a scheme (https:), or a host with an optional scheme, port and path.
_KEYWORD_SOURCES = ("'self'", "'none'")
_SCHEME_SOURCE = re.compile(r"https?:", re.IGNORECASE)
_HOST_SOURCE = re.compile(
    r"(?:[a-z][a-z0-9+.-]*://)?(?:\*\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*(?::(?:\d{1,5}|\*))?"
    r"(?:/[a-z0-9._~%/-]*)?",
    re.IGNORECASE,
)


def _frame_ancestors(raw: str) -> str:
    sources = raw.split()
    if not sources:
        raise ValueError("expected 'self', 'none' or the partner sites allowed to frame the wall")
    for source in sources:
        if source.lower() in _KEYWORD_SOURCES:
            continue
        if source == "*" or not (
            _SCHEME_SOURCE.fullmatch(source) or _HOST_SOURCE.fullmatch(source)
        ):
            raise ValueError(
                f"{source!r} is not a frame-ancestors source: use 'self', 'none', "
                "https: or a site such as https://partenaire.example"
            )
    if len(sources) > 1 and "'none'" in (s.lower() for s in sources):
        raise ValueError("'none' cannot be combined with other sources")
    return " ".join(s.lower() if s.lower() in _KEYWORD_SOURCES else s for s in sources)


@dataclass(frozen=True)
class Setting:
    env: str
    attr: str
    default: str
    parse: Callable[[str], Any]
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "WALL_DATABASE_URL",
        "database_url",
        "sqlite+aiosqlite:///var/wall.db",
        _database_url,
        "SQLAlchemy async URL; postgresql+asyncpg://… in production",
    ),
    Setting(
        "WALL_DATA_DIR", "data_dir", "var", _text, "media files and generated secrets live under it"
    ),
    Setting(
        "WALL_SECRET_KEY",
        "secret_key",
        "",
        _optional_text,
        "signs sessions and CSRF tokens (default: generated once into the data dir)",
    ),
    Setting(
        "WALL_HASHTAGS", "hashtags", "perséVERT2024", _csv, "comma-separated campaign hashtags"
    ),
    Setting("WALL_EVENT_DATE", "event_date", "2024-02-15", _date, "the day of the green wave"),
    Setting(
        "WALL_TIMEZONE",
        "timezone",
        "America/Toronto",
        _timezone,
        "the campaign's local time (Québec)",
    ),
    Setting(
        "WALL_SOURCES_FILE",
        "sources_file",
        "",
        _optional_text,
        "TOML file of source adapters (default: wall.toml if present)",
    ),
    Setting(
        "WALL_PUBLIC_URL",
        "public_url",
        "",
        _optional_public_url,
        "absolute base URL for links and QR codes (default: from the request)",
    ),
    Setting(
        "WALL_UPLOAD_LIMIT_PER_HOUR",
        "upload_limit_per_hour",
        "10",
        _int_at_least(0),
        "uploads accepted per client per hour; 0 turns the limit off",
    ),
    Setting(
        "WALL_MAX_UPLOAD_MB",
        "max_upload_mb",
        "25",
        _int_at_least(1),
        "largest accepted upload body, in megabytes",
    ),
    Setting(
        "WALL_MAX_CLASS_UPLOAD_MB",
        "max_class_upload_mb",
        "300",
        _int_at_least(1),
        "largest accepted class upload body (up to 30 photos through a school invite), "
        "in megabytes; each photo is still held to WALL_MAX_UPLOAD_MB",
    ),
    Setting(
        "WALL_ADMIN_EMAIL",
        "admin_email",
        "admin@localhost",
        _text,
        "email of the first moderator, created when the database has none",
    ),
    Setting(
        "WALL_ADMIN_PASSWORD",
        "admin_password",
        "",
        _optional_text,
        "password of the first moderator (default: generated and printed once)",
    ),
    Setting(
        "WALL_REGIONS",
        "regions",
        ",".join(QUEBEC_REGIONS),
        _csv,
        "comma-separated regions offered on the upload page",
    ),
    Setting(
        "WALL_HEARTBEAT_SECONDS",
        "heartbeat_seconds",
        "15",
        _positive_float,
        "seconds between SSE comment lines",
    ),
    Setting(
        "WALL_EVENT_POLL_SECONDS",
        "event_poll_seconds",
        "0.5",
        _positive_float,
        "how often each process looks for events written by other processes",
    ),
    Setting(
        "WALL_SOURCES_REFRESH_SECONDS",
        "sources_refresh_seconds",
        "5",
        _positive_float,
        "how often each poller reads the sources managed on the admin page",
    ),
    Setting(
        "WALL_CLAIM_IDLE_SECONDS",
        "claim_idle_seconds",
        "90",
        _positive_float,
        "a moderator idle this long gives back the photo they hold, so others get it",
    ),
    Setting(
        "WALL_RECHECK_SECONDS",
        "recheck_seconds",
        "600",
        _positive_float,
        "longest time between two checks that an approved social post still exists at its source",
    ),
    Setting(
        "WALL_SWEEP_AFTER_SECONDS",
        "sweep_after_seconds",
        "3600",
        _non_negative_float,
        "age at which media files no photo references and left-over upload spools are "
        "deleted (the sweep runs at start, then hourly)",
    ),
    Setting(
        "WALL_ANSWER_CACHE_SECONDS",
        "answer_cache_seconds",
        "30",
        _positive_float,
        "longest a cached feed or stats answer is served before the database is asked "
        "again (every event also drops it)",
    ),
    Setting(
        "WALL_UPLOADS_OPEN_AT",
        "uploads_open_at",
        "",
        _optional_datetime,
        "when uploads open (ISO-8601 with offset; default: always open)",
    ),
    Setting(
        "WALL_UPLOADS_CLOSE_AT",
        "uploads_close_at",
        "",
        _optional_datetime,
        "when uploads close (ISO-8601 with offset; default: never)",
    ),
    Setting(
        "WALL_MAX_PENDING_PER_CLIENT",
        "max_pending_per_client",
        "5",
        _int_at_least(0),
        "uploads one client may have waiting for moderation at once; 0 turns the cap off",
    ),
    Setting(
        "WALL_MAX_CONCURRENT_UPLOADS",
        "max_concurrent_uploads",
        "4",
        _int_at_least(0),
        "uploads one client may be sending to one process at once "
        "(429 too_many_concurrent_uploads past it); 0 turns the cap off",
    ),
    Setting(
        "WALL_BODY_TIMEOUT_SECONDS",
        "body_timeout_seconds",
        "60",
        _positive_float,
        "how long a request body may take to arrive in full (408 body_timeout past it)",
    ),
    Setting(
        "WALL_FRAME_ANCESTORS",
        "frame_ancestors",
        "'self'",
        _frame_ancestors,
        "sites allowed to show the wall in a frame (CSP frame-ancestors sources, "
        "space-separated), e.g. 'self' https://partenaire.example",
    ),
    Setting(
        "WALL_BLUR_FACES",
        "blur_faces",
        "off",
        _choice(*face_blurring.POLICIES),
        "blur detected faces in public images: off, guardian_consent (uploads of under-14s), "
        "uploads (every upload) or all (uploads and social photos)",
    ),
    Setting(
        "WALL_ORGANIZER",
        "organizer",
        "L'équipe de la campagne Jeudi PerséVERT",
        _text,
        "who is responsible for the photos, named on the upload page",
    ),
    Setting(
        "WALL_ORGANIZER_EN",
        "organizer_en",
        "The Jeudi PerséVERT campaign team",
        _text,
        "the organizer's name on the English pages",
    ),
    Setting(
        "WALL_ORGANIZER_ADDRESS",
        "organizer_address",
        "",
        _optional_text,
        "the organizer's postal address, in the notice and the privacy policy "
        "(required when WALL_PUBLIC_URL is https)",
    ),
    Setting(
        "WALL_CONTACT_EMAIL",
        "contact_email",
        "",
        _optional_text,
        "where people ask for a photo's removal, shown on the upload page "
        "(default: WALL_PRIVACY_OFFICER_CONTACT)",
    ),
    Setting(
        "WALL_PRIVACY_OFFICER_TITLE",
        "privacy_officer_title",
        "Responsable de la protection des renseignements personnels",
        _text,
        "the title of the person in charge of personal information, in the privacy policy",
    ),
    Setting(
        "WALL_PRIVACY_OFFICER_NAME",
        "privacy_officer_name",
        "",
        _optional_text,
        "that person's name (required when WALL_PUBLIC_URL is https)",
    ),
    Setting(
        "WALL_PRIVACY_OFFICER_CONTACT",
        "privacy_officer_contact",
        "",
        _optional_text,
        "that person's email address or telephone (required when WALL_PUBLIC_URL is https)",
    ),
    Setting(
        "WALL_PRIVACY_POLICY_URL",
        "privacy_policy_url",
        "",
        _optional_public_url,
        "the organization's own privacy policy, linked from every public page "
        "(default: the generated page /confidentialite)",
    ),
    Setting(
        "WALL_HOSTING_LOCATION",
        "hosting_location",
        "",
        _optional_text,
        "where the database and photos are stored, e.g. « Montréal (Québec), chez OVHcloud » "
        "(required when WALL_PUBLIC_URL is https)",
    ),
    Setting(
        "WALL_OUTSIDE_QUEBEC",
        "outside_quebec",
        "false",
        _bool,
        "whether personal information may leave Québec (a CDN or host outside it); "
        "said in the notice and the privacy policy",
    ),
    Setting(
        "WALL_AUDIT_KEEP_DAYS",
        "audit_keep_days",
        "365",
        _int_at_least(1),
        "how long the moderation audit log is kept, stated in the privacy policy",
    ),
    Setting(
        "WALL_UNDER_14",
        "under_14",
        "parent",
        _choice(*UNDER_14_POLICIES),
        "photos of people under 14: parent (a parent consents on the form), school "
        "(only through a school invite, under the school's photo release) or refuse",
    ),
    Setting(
        "WALL_REMOVAL_DELAY_HOURS",
        "removal_delay_hours",
        "24",
        _int_at_least(1),
        "the delay within which a removal request is handled, promised on the removal form",
    ),
    Setting(
        "WALL_KEEP_UNTIL",
        "keep_until",
        "",
        _optional_date,
        "the date by which the organizer deletes the photos, shown on the upload page "
        "(default: 30 days after WALL_EVENT_DATE)",
    ),
    Setting(
        "WALL_CAMPAIGN_START",
        "campaign_start_at",
        "",
        _optional_datetime,
        "posts older than this are not collected, and a new source backfills from it "
        "(ISO-8601 with offset; default: midnight, Québec time, a week before WALL_EVENT_DATE)",
    ),
    Setting(
        "WALL_MAX_PINNED",
        "max_pinned",
        "3",
        _int_at_least(0),
        "most photos pinned (featured) on the wall at once",
    ),
    Setting(
        "WALL_REQUIRE_ADMIN_TOTP",
        "require_admin_totp",
        "false",
        _bool,
        "admins must enrol a TOTP second factor before using the moderation tools",
    ),
    Setting(
        "WALL_LOGIN_MAX_FAILURES",
        "login_max_failures",
        "5",
        _int_at_least(1),
        "sign-in attempts one client may make on one account in 15 minutes; past it, "
        "each further attempt on that account from anywhere waits a doubling delay",
    ),
    Setting(
        "WALL_LOGIN_MAX_CLIENT_FAILURES",
        "login_max_client_failures",
        "20",
        _int_at_least(1),
        "sign-in attempts one client address may make on all accounts in 15 minutes",
    ),
    Setting(
        "WALL_LOGIN_MAX_DELAY_SECONDS",
        "login_max_delay_seconds",
        "60",
        _int_at_least(1),
        "longest wait the per-account delay imposes between two sign-in attempts",
    ),
    Setting(
        "WALL_PASSWORD_HASH_THREADS",
        "password_hash_threads",
        "2",
        _int_at_least(1),
        "password checks (argon2) run at once, in worker threads; about one per core",
    ),
    Setting(
        "WALL_PASSWORD_HASH_QUEUE",
        "password_hash_queue",
        "8",
        _int_at_least(0),
        "sign-ins that may wait for a password check; past it, 503 signin_busy with Retry-After",
    ),
    Setting(
        "WALL_TRUSTED_PROXIES",
        "trusted_proxies",
        "127.0.0.1",
        _trusted_proxies,
        "comma-separated addresses or networks (CIDR) whose X-Forwarded-For and "
        "X-Forwarded-Proto headers are believed; * for any",
    ),
    Setting(
        "WALL_MEDIA_CACHE_SECONDS",
        "media_cache_seconds",
        "30",
        _int_between(1, MAX_MEDIA_CACHE_SECONDS, "a shared cache then a browser: 60 s at most"),
        "how long proxies, CDNs and browsers may keep an approved photo's file "
        "(s-maxage and max-age); bounds how long a removed photo stays in a cache",
    ),
    Setting(
        "WALL_CDN_PURGE_URL",
        "cdn_purge_url",
        "",
        _optional_text,
        "URL template of the CDN purge request sent for each file of a removed photo, "
        "with {url}, {path} or {name} (default: no purge)",
    ),
    Setting(
        "WALL_CDN_PURGE_METHOD",
        "cdn_purge_method",
        "POST",
        _http_method,
        "HTTP method of the purge request (PURGE for Fastly and Varnish)",
    ),
    Setting(
        "WALL_CDN_PURGE_BODY",
        "cdn_purge_body",
        "",
        _optional_text,
        "JSON body template of the purge request, with the same placeholders, e.g. "
        '{"files": ["{url}"]} (default: no body)',
    ),
    Setting(
        "WALL_CDN_PURGE_TOKEN",
        "cdn_purge_token",
        "",
        _optional_text,
        "sent as Authorization: Bearer with the purge request (default: none)",
    ),
    Setting(
        "WALL_METRICS_NETWORKS",
        "metrics_networks",
        "",
        _optional_networks,
        "comma-separated addresses or networks (CIDR) allowed to read GET /metrics; with "
        "WALL_METRICS_TOKEN too, either one suffices (default: no network restriction)",
    ),
    Setting(
        "WALL_LOG_FORMAT",
        "log_format",
        "text",
        _choice("text", "json"),
        "text (uvicorn's lines) or json (one JSON object a line, with the request id); "
        "client addresses and secret tokens are scrubbed from both",
    ),
    Setting(
        "WALL_METRICS_TOKEN",
        "metrics_token",
        "",
        _optional_text,
        "when set, GET /metrics needs Authorization: Bearer with it (default: open)",
    ),
)


# Each field's default is its table row's default, parsed: written once, in SETTINGS.
DEFAULTS: dict[str, Any] = {setting.attr: setting.parse(setting.default) for setting in SETTINGS}


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULTS["database_url"]
    data_dir: str = DEFAULTS["data_dir"]
    secret_key: str | None = DEFAULTS["secret_key"]
    hashtags: tuple[str, ...] = DEFAULTS["hashtags"]
    event_date: dt.date = DEFAULTS["event_date"]
    timezone: zoneinfo.ZoneInfo = DEFAULTS["timezone"]
    sources_file: str | None = DEFAULTS["sources_file"]
    public_url: str | None = DEFAULTS["public_url"]
    upload_limit_per_hour: int = DEFAULTS["upload_limit_per_hour"]
    max_upload_mb: int = DEFAULTS["max_upload_mb"]
    max_class_upload_mb: int = DEFAULTS["max_class_upload_mb"]
    admin_email: str = DEFAULTS["admin_email"]
    admin_password: str | None = DEFAULTS["admin_password"]
    regions: tuple[str, ...] = DEFAULTS["regions"]
    heartbeat_seconds: float = DEFAULTS["heartbeat_seconds"]
    event_poll_seconds: float = DEFAULTS["event_poll_seconds"]
    sources_refresh_seconds: float = DEFAULTS["sources_refresh_seconds"]
    claim_idle_seconds: float = DEFAULTS["claim_idle_seconds"]
    recheck_seconds: float = DEFAULTS["recheck_seconds"]
    sweep_after_seconds: float = DEFAULTS["sweep_after_seconds"]
    answer_cache_seconds: float = DEFAULTS["answer_cache_seconds"]
    uploads_open_at: dt.datetime | None = DEFAULTS["uploads_open_at"]
    uploads_close_at: dt.datetime | None = DEFAULTS["uploads_close_at"]
    max_pending_per_client: int = DEFAULTS["max_pending_per_client"]
    max_concurrent_uploads: int = DEFAULTS["max_concurrent_uploads"]
    body_timeout_seconds: float = DEFAULTS["body_timeout_seconds"]
    frame_ancestors: str = DEFAULTS["frame_ancestors"]
    blur_faces: str = DEFAULTS["blur_faces"]
    organizer: str = DEFAULTS["organizer"]
    organizer_en: str = DEFAULTS["organizer_en"]
    organizer_address: str | None = DEFAULTS["organizer_address"]
    contact_email: str | None = DEFAULTS["contact_email"]
    privacy_officer_title: str = DEFAULTS["privacy_officer_title"]
    privacy_officer_name: str | None = DEFAULTS["privacy_officer_name"]
    privacy_officer_contact: str | None = DEFAULTS["privacy_officer_contact"]
    privacy_policy_url: str | None = DEFAULTS["privacy_policy_url"]
    hosting_location: str | None = DEFAULTS["hosting_location"]
    outside_quebec: bool = DEFAULTS["outside_quebec"]
    audit_keep_days: int = DEFAULTS["audit_keep_days"]
    under_14: str = DEFAULTS["under_14"]
    removal_delay_hours: int = DEFAULTS["removal_delay_hours"]
    keep_until: dt.date | None = DEFAULTS["keep_until"]
    campaign_start_at: dt.datetime | None = DEFAULTS["campaign_start_at"]
    max_pinned: int = DEFAULTS["max_pinned"]
    require_admin_totp: bool = DEFAULTS["require_admin_totp"]
    login_max_failures: int = DEFAULTS["login_max_failures"]
    login_max_client_failures: int = DEFAULTS["login_max_client_failures"]
    login_max_delay_seconds: int = DEFAULTS["login_max_delay_seconds"]
    password_hash_threads: int = DEFAULTS["password_hash_threads"]
    password_hash_queue: int = DEFAULTS["password_hash_queue"]
    trusted_proxies: tuple[str, ...] = DEFAULTS["trusted_proxies"]
    media_cache_seconds: int = DEFAULTS["media_cache_seconds"]
    cdn_purge_url: str | None = DEFAULTS["cdn_purge_url"]
    cdn_purge_method: str = DEFAULTS["cdn_purge_method"]
    cdn_purge_body: str | None = DEFAULTS["cdn_purge_body"]
    cdn_purge_token: str | None = DEFAULTS["cdn_purge_token"]
    metrics_token: str | None = DEFAULTS["metrics_token"]
    metrics_networks: tuple[str, ...] = DEFAULTS["metrics_networks"]
    log_format: str = DEFAULTS["log_format"]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for setting in SETTINGS:
            raw = env.get(setting.env, setting.default)
            try:
                values[setting.attr] = setting.parse(raw)
            except ValueError as exc:
                raise ConfigError(f"{setting.env}: {exc}") from None
        uses_url = any(
            "{url}" in (values[key] or "") for key in ("cdn_purge_url", "cdn_purge_body")
        )
        if uses_url and not values["public_url"]:
            raise ConfigError("WALL_CDN_PURGE_URL: {url} needs WALL_PUBLIC_URL to be set")
        settings = cls(**values)
        settings.check_upload_window()
        return settings

    def check_upload_window(self) -> None:
        """Refuse uploads that would stay open after the promised deletion date."""
        deadline = self.deletion_starts
        closes = self.uploads_close_at
        if closes is not None and closes > deadline:
            raise ConfigError(
                f"WALL_UPLOADS_CLOSE_AT: uploads would stay open after the photos' deletion "
                f"date ({self.photos_kept_until.isoformat()}, WALL_KEEP_UNTIL); close them by then"
            )
        opens = self.uploads_open_at
        if opens is not None and opens >= deadline:
            raise ConfigError(
                f"WALL_UPLOADS_OPEN_AT: uploads would open after the photos' deletion "
                f"date ({self.photos_kept_until.isoformat()}, WALL_KEEP_UNTIL)"
            )

    def placeholder(self) -> str | None:
        """The first setting a public site must set but left empty or at its example
        default, as one line naming the variable; None when all are set."""
        defaults = {setting.attr: setting.default for setting in SETTINGS}
        for env, attr in REQUIRED_IN_PRODUCTION:
            value = getattr(self, attr)
            if not value:
                return f"{env} is empty; set it: it is named in the notice and the privacy policy"
            if value == defaults[attr]:
                return (
                    f"{env} is still the example value {value!r}; set the organization's own "
                    "(named in the notice and the privacy policy)"
                )
        return None

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir)

    @property
    def media_path(self) -> Path:
        return self.data_path / "media"

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def max_class_upload_bytes(self) -> int:
        return self.max_class_upload_mb * 1024 * 1024

    @property
    def photos_kept_until(self) -> dt.date:
        """The date the upload notice promises photos are deleted by ("au plus tard
        le …"): configured, or a month after the event."""
        return self.keep_until or self.event_date + dt.timedelta(days=KEEP_DAYS_AFTER_EVENT)

    @property
    def deletion_starts(self) -> dt.datetime:
        """Midnight (campaign time) starting the promised deletion date, in UTC."""
        start = dt.datetime.combine(self.photos_kept_until, dt.time(0), self.timezone)
        return start.astimezone(dt.UTC)

    @property
    def uploads_closing(self) -> dt.datetime:
        """When uploads close: as configured, and by default when deletion day starts,
        so that no photo arrives after the date the notice promises it is deleted by."""
        return self.uploads_close_at or self.deletion_starts

    @property
    def contact_address(self) -> str | None:
        """Where people write: WALL_CONTACT_EMAIL, else the privacy officer."""
        return self.contact_email or self.privacy_officer_contact

    def organizer_in(self, lang: str) -> str:
        return self.organizer_en if lang == "en" else self.organizer

    def purge_allowed_on(self, day: dt.date) -> bool:
        """Whether ``wall purge`` runs without ``--force`` on ``day`` (in the campaign's
        zone): on the promised date and after, so that the promise can be kept."""
        return day >= self.photos_kept_until

    @property
    def campaign_start(self) -> dt.datetime:
        """When collecting starts: configured, or midnight a week before the event day."""
        if self.campaign_start_at is not None:
            return self.campaign_start_at.astimezone(dt.UTC)
        day = self.event_date - dt.timedelta(days=CAMPAIGN_DAYS_BEFORE_EVENT)
        return dt.datetime.combine(day, dt.time(0), self.timezone).astimezone(dt.UTC)

    @property
    def sources_path(self) -> Path | None:
        if self.sources_file:
            return Path(self.sources_file)
        default = Path("wall.toml")
        return default if default.exists() else None
