"""Unexpected errors written down on this machine, for the user to send if they want.

Screens and the CLI show a short apology and the error's type, never a traceback; the
details go to ``logs/errors.log`` in the data folder (owner-only, like everything there).
Nothing is sent anywhere.
"""

from __future__ import annotations

import os
import traceback
from datetime import UTC, datetime
from pathlib import Path

from persona.core.private import append_private, private_dir
from persona.core.setting_rules import default_data_dir

LOG_NAME = "errors.log"
MAX_LOG_BYTES = 1024 * 1024
"""A log past this size is moved to ``errors.log.1`` (replacing the older one)."""


def log_path(data_dir: Path | None = None) -> Path:
    return (data_dir if data_dir is not None else default_data_dir()) / "logs" / LOG_NAME


def log_unexpected(exc: BaseException, where: str, data_dir: Path | None = None) -> Path | None:
    """Append ``exc`` with its traceback to the error log; its path, or None if not writable."""
    try:
        path = log_path(data_dir)
        private_dir(path.parent)
        if path.exists() and path.stat().st_size > MAX_LOG_BYTES:
            os.replace(path, path.with_name(LOG_NAME + ".1"))
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        append_private(path, f"--- {stamp} · {where} · {type(exc).__name__}\n{details}\n")
    except Exception:  # the log is a courtesy: never let it hide the error being reported
        return None
    return path
