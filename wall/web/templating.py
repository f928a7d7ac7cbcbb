"""The pages' Jinja environment: OQLF spacing everywhere, one date formatter.

Every ``{{ … }}`` goes through ``wall.french.spaced`` (the environment's
finalizer), so a message, a setting or a translated sentence never puts an
ordinary space before a colon or inside « ». Literal template text is written
with ``&nbsp;`` where it needs one; the typography test reads every page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from starlette.templating import Jinja2Templates

from wall import consent, french
from wall.config import Settings


def finalize(value: Any) -> Any:
    if isinstance(value, Markup):
        return Markup(french.spaced(str(value)))
    if isinstance(value, str):
        return french.spaced(value)
    return value


def make_templates(directory: Path, settings: Settings) -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(directory)),
        autoescape=jinja2.select_autoescape(),
        finalize=finalize,
    )
    env.filters["spaced"] = french.spaced
    env.filters["long_date"] = french.long_date
    env.filters["clock"] = french.clock
    env.filters["photo_number"] = consent.photo_number
    env.globals["hashtags"] = settings.hashtags
    env.globals["consent_version"] = consent.CONSENT_VERSION
    env.globals["privacy_policy_url"] = settings.privacy_policy_url
    return Jinja2Templates(env=env)
