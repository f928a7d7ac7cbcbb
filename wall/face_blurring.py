"""Which photos have the faces in their public copies blurred (``WALL_BLUR_FACES``).

- ``off``: none.
- ``guardian_consent``: uploads whose sender declared being under 14 with a
  parent's consent, and class uploads (school invites), which show children.
- ``uploads``: every upload.
- ``all``: every upload and every photo collected from a social network.

The private unblurred copy stays for moderators in every case.
"""

from __future__ import annotations

POLICIES = ("off", "guardian_consent", "uploads", "all")


def blurs_upload(policy: str, age_confirmation: str) -> bool:
    if policy in ("uploads", "all"):
        return True
    return policy == "guardian_consent" and age_confirmation in (
        "guardian_consent",
        "school_consent",
    )


def blurs_social(policy: str) -> bool:
    return policy == "all"
