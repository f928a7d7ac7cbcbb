"""A source's health, in one word, from its stored state.

The sources panel, its API and ``/metrics`` all say the same thing because
they all ask this function.
"""

from __future__ import annotations

from wall.models import SourceState

HEALTH_STATES = ("new", "ok", "stalled", "restricted", "retrying", "failing", "paused")


def health(state: SourceState | None, *, paused: bool = False) -> str:
    """``paused`` (an admin paused it), ``new`` (never polled), ``ok``,
    ``retrying`` (backing off), ``failing`` (permanent), or a warning while it
    answers: ``stalled`` (its cursor stands still while the network has newer
    posts) or ``restricted`` (the tag feed answers empty, but the tag is in use
    there)."""
    if paused:
        return "paused"
    if state is None or (state.last_success_at is None and state.error_kind is None):
        return "new"
    if state.error_kind == "permanent":
        return "failing"
    if state.error_kind == "retryable":
        return "retrying"
    if state.warning in ("stalled", "restricted"):
        return state.warning
    return "ok"
