"""The Anthropic API key: where Persona finds it, and keeping it out of every message.

The key is read from ``ANTHROPIC_API_KEY``, the dashboard's secrets or what the user typed in
this session (:func:`find_api_key`); it is never stored or logged, and every text that could
carry it is passed through :func:`hide_key` before it is shown.
"""

from __future__ import annotations

import os
import re

from persona.core.errors import FrontierAuthError

KEY_VARIABLE = "ANTHROPIC_API_KEY"
KEYS_URL = "https://console.anthropic.com/settings/keys"

_KEY_PATTERN = re.compile(r"sk-ant-[A-Za-z0-9_\-]+")


def find_api_key(*, secret: str | None = None, typed: str | None = None) -> str | None:
    """The Anthropic key in force, or None: ``ANTHROPIC_API_KEY`` in the environment, else
    the dashboard's ``secret`` (``.streamlit/secrets.toml``), else the key ``typed`` in this
    session. Blank values count as none; the key is never stored."""
    for key in (os.environ.get(KEY_VARIABLE), secret, typed):
        if key and key.strip():
            return key.strip()
    return None


def resolve_api_key(api_key: str | None = None) -> str:
    """The key from the argument, else :func:`find_api_key`'s; raises when there is none."""
    key = (api_key or "").strip() or find_api_key()
    if not key:
        raise FrontierAuthError(
            "No Anthropic API key. Paste it in the key field on the Hybrid page, or set the "
            f"ANTHROPIC_API_KEY environment variable (create a key at {KEYS_URL}). The hybrid "
            "step is optional: local generation works without it."
        )
    return key


def hide_key(text: str, key: str) -> str:
    """``text`` with the API ``key``, and anything shaped like an Anthropic key, hidden."""
    return _KEY_PATTERN.sub("sk-ant-…", text.replace(key, "<api key>"))
