"""Limits that agree: the dashboard's upload limit is Persona's file limit."""

from __future__ import annotations

from pathlib import Path

from persona.cli.ui import server_settings
from persona.core.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]


def test_streamlit_upload_limit_equals_persona_file_limit() -> None:
    assert server_settings()["server"]["maxUploadSize"] == load_settings().max_file_mb


def test_the_page_icon_is_a_local_file() -> None:
    """An emoji or ``:material/...:`` page icon is fetched from Google's servers."""
    app = (ROOT / "persona" / "dashboard" / "app.py").read_text(encoding="utf-8")
    assert "page_icon=str(ICON)" in app
    assert (
        (ROOT / "persona" / "dashboard" / "assets" / "persona-icon.png")
        .read_bytes()
        .startswith(b"\x89PNG")
    )
