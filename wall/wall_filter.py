"""Which approved photos one wall shows: ``?region=``, ``?school=``, ``?source=``.

One school projects its own wall beside the province's from the same server.
The page, the feed (``/api/wall/photos``) and the stats (``/api/wall/stats``)
read the same three query parameters through ``WallFilter.from_query`` and
narrow their queries with ``WallFilter.conditions``: the one place that says
which photos a filter selects. A rule about who may be shown under a school
(its consent, say) belongs in ``conditions`` so that every reader follows it.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import ColumnElement

from wall import consent
from wall.errors import BadRequest
from wall.models import Photo

MAX_SCHOOL = 200
# Source names are the adapters' short lowercase names ("upload", "mastodon"…).
_SOURCE = re.compile(r"[a-z][a-z0-9_-]{0,31}")


@dataclass(frozen=True)
class WallFilter:
    """The photos of one wall; every field ``None`` means the whole campaign."""

    region: str | None = None
    school: str | None = None
    source: str | None = None
    # A partner's embed (``/embed`` asks its feed with ``embed=1``): only photos
    # whose consent names embedding (``wall.consent``).
    embed: bool = False

    @classmethod
    def from_query(cls, params: Mapping[str, str], regions: tuple[str, ...]) -> WallFilter:
        """Read and check the filter; ``BadRequest`` for a value no photo can have."""
        region = (params.get("region") or "").strip() or None
        school = (params.get("school") or "").strip() or None
        source = (params.get("source") or "").strip().lower() or None
        if region is not None and region not in regions:
            raise BadRequest(
                "Cette région n'existe pas : choisissez une des régions du Québec.",
                code="bad_region",
            )
        if school is not None and len(school) > MAX_SCHOOL:
            raise BadRequest(
                f"Le nom d'école fait au plus {MAX_SCHOOL} caractères.", code="bad_school"
            )
        if source is not None and not _SOURCE.fullmatch(source):
            raise BadRequest("Cette source n'existe pas.", code="bad_source")
        embed = (params.get("embed") or "").strip() in ("1", "true", "yes")
        return cls(region=region, school=school, source=source, embed=embed)

    @property
    def active(self) -> bool:
        return any((self.region, self.school, self.source, self.embed))

    def conditions(self) -> list[ColumnElement[bool]]:
        """SQL conditions on ``Photo`` selecting this wall's photos (none: all of them)."""
        found: list[ColumnElement[bool]] = []
        if self.region is not None:
            found.append(Photo.region == self.region)
        if self.school is not None:
            # A public school wall shows a photo only when its consent names it.
            found.append(Photo.school == self.school)
            found.append(consent.appears_clause("school_wall"))
        if self.source is not None:
            found.append(Photo.source == self.source)
        if self.embed:
            found.append(consent.appears_clause("embed"))
        return found

    def query(self) -> str:
        """The filter as a query string (``region=…&source=…``), empty when inactive."""
        pairs = [
            (name, value)
            for name, value in (
                ("region", self.region),
                ("school", self.school),
                ("source", self.source),
            )
            if value is not None
        ]
        if self.embed:
            pairs.append(("embed", "1"))
        return urllib.parse.urlencode(pairs)

    def cache_key(self) -> str:
        """A key that differs between filters, for the answer cache."""
        return self.query()
