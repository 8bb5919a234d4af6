"""Settings: arguments, then the environment, then the settings file, then defaults."""

from __future__ import annotations

from persona.core.engine_settings import (
    load_settings,
    save_settings,
    settings_path,
    where_engine_runs,
    with_overrides,
)

__all__ = [
    "load_settings",
    "save_settings",
    "settings_path",
    "where_engine_runs",
    "with_overrides",
]
