"""Settings: arguments, then the environment, then unsaved changes on the Settings page, then
the settings file, then defaults (:func:`load_settings`); one rule per setting for every source."""

from __future__ import annotations

from persona.core.settings import load_settings, save_settings, settings_path, where_engine_runs

__all__ = [
    "load_settings",
    "save_settings",
    "settings_path",
    "where_engine_runs",
]
