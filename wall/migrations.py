"""Run Alembic programmatically, wherever the package is installed."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

from alembic import command


def script_location() -> Path:
    """The migration scripts: packaged in a wheel, or the repository's alembic/."""
    packaged = Path(__file__).parent / "migrations"
    if (packaged / "env.py").exists():
        return packaged
    return Path(__file__).resolve().parent.parent / "alembic"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location()))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """``alembic upgrade head`` on ``database_url`` (runs its own event loop)."""
    command.upgrade(alembic_config(database_url), revision)


def check(database_url: str) -> None:
    """Raise if the models and the migrated schema differ."""
    command.check(alembic_config(database_url))
