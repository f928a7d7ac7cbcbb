"""Automatic rules, run on every new photo right after it is stored.

Admins configure them (``RuleConfig``, kept in ``moderation_options``); each
decision they take goes through ``service.decide`` with the rule's name, so
it is recorded as the rule's. The order is: blocked accounts and (when set
to reject) blocked words reject; sources open to allowlisted accounts only
reject everyone else; allowlisted accounts are approved, but only a photo
with no flag at all from a network source: sensitive, low-green and
near-duplicate photos, and every upload, are left to a person.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from wall.errors import InvalidField
from wall.folding import fold
from wall.models import Moderator, Photo
from wall.moderation import audit, options, service
from wall.moderation.states import Action

OPTION_KEY = "rules"
WORD_ACTIONS = ("flag", "reject")
# Flags a source may set on a post that the network marked as sensitive.
SENSITIVE_FLAGS = frozenset({"sensitive", "content_warning", "nsfw"})
# What moderators read for each flag the rules set (the codes stay in the API).
FLAG_NAMES_FR: dict[str, str] = {
    "blocked_word": "mot bloqué",
    "sensitive": "contenu sensible",
    "duplicate": "doublon",
    "low_green": "peu de vert",
}
NEAR_DUPLICATE_BITS = 6  # pHash Hamming distance at or under which two photos match
RECENT_FOR_DUPLICATES = 500
MAX_LIST = 2000
MAX_ENTRY = 200

# Sensible defaults for classroom screens, French (Québec) then English.
DEFAULT_BLOCKED_WORDS: tuple[str, ...] = (
    "tabarnak", "tabarnac", "câlisse", "crisse", "ostie", "osti", "calvaire", "sacrament",
    "ciboire", "merde", "putain", "salope", "connard", "connasse", "enculé", "pute", "bite",
    "niaiseux", "nazi", "suicide", "drogue", "porno",
    "fuck", "fucking", "shit", "bitch", "asshole", "cunt", "dick", "slut", "whore",
    "porn", "nsfw", "nigger", "faggot", "retard", "kill yourself", "kys",
)  # fmt: skip


def search_text(*parts: str | None) -> str:
    """What the moderators' search looks in: the parts, folded, one line."""
    return fold(" ".join(part for part in parts if part))


def fold_account(handle: str) -> str:
    return fold(handle.strip().lstrip("@"))


@dataclass(frozen=True)
class RuleConfig:
    allow_accounts: tuple[str, ...] = ()
    block_accounts: tuple[str, ...] = ()
    blocked_words: tuple[str, ...] = DEFAULT_BLOCKED_WORDS
    words_action: str = "flag"
    green_threshold: float = 0.05
    allowlist_only_sources: tuple[str, ...] = ()
    _patterns: tuple[re.Pattern[str], ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        patterns = tuple(
            re.compile(r"(?<!\w)" + re.escape(fold(word).strip()) + r"(?!\w)")
            for word in self.blocked_words
            if word.strip()
        )
        object.__setattr__(self, "_patterns", patterns)

    def to_json(self) -> dict[str, Any]:
        return {
            "allow_accounts": list(self.allow_accounts),
            "block_accounts": list(self.block_accounts),
            "blocked_words": list(self.blocked_words),
            "words_action": self.words_action,
            "green_threshold": self.green_threshold,
            "allowlist_only_sources": list(self.allowlist_only_sources),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], base: RuleConfig | None = None) -> RuleConfig:
        """Validate ``data`` (a full or partial config) over ``base``; ``InvalidField`` if bad."""
        values = (base or cls()).to_json()
        unknown = set(data) - set(values)
        if unknown:
            raise InvalidField(
                f"Réglage inconnu : {', '.join(sorted(unknown))}.", code="invalid_rules"
            )
        values.update(data)
        lists = {}
        for key in ("allow_accounts", "block_accounts", "blocked_words", "allowlist_only_sources"):
            lists[key] = _string_list(key, values[key])
        if values["words_action"] not in WORD_ACTIONS:
            raise InvalidField("words_action vaut « flag » ou « reject ».", code="invalid_rules")
        threshold = values["green_threshold"]
        if (
            not isinstance(threshold, int | float)
            or isinstance(threshold, bool)
            or not 0 <= threshold <= 1
        ):
            raise InvalidField("green_threshold va de 0 à 1.", code="invalid_rules")
        return cls(
            allow_accounts=lists["allow_accounts"],
            block_accounts=lists["block_accounts"],
            blocked_words=lists["blocked_words"],
            words_action=values["words_action"],
            green_threshold=float(threshold),
            allowlist_only_sources=lists["allowlist_only_sources"],
        )

    def blocked_words_in(self, text: str) -> list[str]:
        folded = fold(text)
        return [p.pattern for p in self._patterns if p.search(folded)]


def _string_list(key: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or len(value) > MAX_LIST:
        raise InvalidField(f"{key} doit être une liste (au plus {MAX_LIST}).", code="invalid_rules")
    items: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.strip() or len(item) > MAX_ENTRY:
            raise InvalidField(f"{key} : chaque élément est un texte court.", code="invalid_rules")
        if item.strip() not in items:
            items.append(item.strip())
    return tuple(items)


def _account_listed(entries: Iterable[str], photo: Photo) -> bool:
    """Entries are ``handle`` or ``source:handle``, compared folded, without a leading @."""
    if not photo.author_handle:
        return False
    handle = fold_account(photo.author_handle)
    qualified = f"{fold(photo.source)}:{handle}"
    for entry in entries:
        folded = fold(entry.strip())
        if ":" in folded:
            source, _, name = folded.partition(":")
            folded = f"{source}:{name.lstrip('@')}"
        else:
            folded = folded.lstrip("@")
        if folded in (handle, qualified):
            return True
    return False


@dataclass(frozen=True)
class Verdict:
    """What the rules make of a photo: flags to add, and a decision if any."""

    flags: tuple[str, ...] = ()
    action: Action | None = None
    rule: str | None = None
    reason: str | None = None
    words: tuple[str, ...] = ()


def evaluate(config: RuleConfig, photo: Photo, *, near_duplicate: bool) -> Verdict:
    """The rules applied to one photo, without touching the database."""
    flags: list[str] = []
    existing = set(photo.flags or [])
    if existing & SENSITIVE_FLAGS:
        flags.append("sensitive")
    if photo.green_score is not None and photo.green_score < config.green_threshold:
        flags.append("low_green")
    if near_duplicate:
        flags.append("duplicate")
    text = " ".join(
        part or "" for part in (photo.caption, photo.alt, photo.author_name, photo.author_handle)
    )
    words = tuple(config.blocked_words_in(text))
    if words:
        flags.append("blocked_word")
    flags = [f for f in flags if f not in existing]
    all_flags = existing | set(flags)

    def verdict(action: Action | None, rule: str | None, reason: str | None) -> Verdict:
        return Verdict(tuple(flags), action, rule, reason, words)

    if _account_listed(config.block_accounts, photo):
        return verdict(Action.REJECT, "blocklist", "compte bloqué")
    if words and config.words_action == "reject":
        return verdict(Action.REJECT, "blocked_words", "mot bloqué")
    allowlisted = _account_listed(config.allow_accounts, photo)
    if photo.source in config.allowlist_only_sources and not allowlisted:
        return verdict(
            Action.REJECT, "source_allowlist_only", "source réservée aux comptes de confiance"
        )
    if allowlisted and photo.source != "upload" and not all_flags:
        return verdict(Action.APPROVE, "allowlist", "compte de confiance")
    return verdict(None, None, None)


async def load(session: AsyncSession) -> RuleConfig:
    stored = await options.get(session, OPTION_KEY)
    if not isinstance(stored, dict):
        return RuleConfig()
    return RuleConfig.from_json(stored)


async def save(
    session: AsyncSession,
    data: dict[str, Any],
    moderator: Moderator,
    client: str | None,
) -> RuleConfig:
    before = await load(session)
    config = RuleConfig.from_json(data, base=before)
    await options.put(session, OPTION_KEY, config.to_json(), moderator)
    changed = {
        key: value for key, value in config.to_json().items() if value != before.to_json()[key]
    }
    await audit.record(
        session,
        "settings.rules",
        actor=moderator,
        client=client,
        target=OPTION_KEY,
        details={"changed": sorted(changed)},
    )
    return config


def _hamming(a: str, b: str) -> int:
    try:
        return (int(a, 16) ^ int(b, 16)).bit_count()
    except ValueError:
        return 64


async def is_near_duplicate(session: AsyncSession, photo: Photo) -> bool:
    """Same pHash as any photo, or within a few bits of a recent one."""
    if not photo.phash:
        return False
    same = await session.scalar(
        select(Photo.id).where(Photo.phash == photo.phash, Photo.id != photo.id).limit(1)
    )
    if same is not None:
        return True
    recent = (
        await session.scalars(
            select(Photo.phash)
            .where(Photo.phash.is_not(None), Photo.id != photo.id)
            .order_by(Photo.submitted_at.desc())
            .limit(RECENT_FOR_DUPLICATES)
        )
    ).all()
    return any(_hamming(photo.phash, other) <= NEAR_DUPLICATE_BITS for other in recent if other)


async def apply_rules(session: AsyncSession, photo: Photo) -> None:
    """Flag and, when a rule says so, decide a freshly submitted photo.

    Called by ``service.submit`` for uploads and polled posts alike.
    """
    config = await load(session)
    verdict = evaluate(config, photo, near_duplicate=await is_near_duplicate(session, photo))
    if verdict.flags:
        photo.flags = [*(photo.flags or []), *verdict.flags]
        await audit.record(
            session,
            "rule.flag",
            actor_label="rules",
            photo_id=photo.id,
            details={"flags": list(verdict.flags), "words": list(verdict.words)},
        )
        await session.flush()
    if verdict.action is not None and verdict.rule is not None:
        await service.decide(
            session, photo.id, verdict.action, rule=verdict.rule, reason=verdict.reason
        )
