"""ruff lint and format checks run with the tests, so CI and the README agree."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from persona.cli.ui import server_settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "args", [["check", "."], ["format", "--check", "."]], ids=["lint", "format"]
)
def test_ruff(args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_streamlit_config_keeps_everything_local() -> None:
    """The dashboard's one config file (``persona ui`` gives it to Streamlit as flags)."""
    config = server_settings()
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["address"] == "127.0.0.1"
    assert config["server"]["enableXsrfProtection"] is True
    assert not (ROOT / ".streamlit" / "config.toml").exists(), "a second copy of the settings"


def test_mypy_is_clean() -> None:
    """Types over persona/, pages/ and app.py, with the settings in pyproject.toml."""
    result = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_contracts_hold() -> None:
    """The layers and boundaries in pyproject.toml ([tool.importlinter])."""
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


API_CALLS = {
    "read_files": "persona.api.read_uploads",
    "read_paths": "persona.api.read",
    "make_plan": "persona.api.plan",
    "SavedGeneration": "persona.api.generate or persona.api.resume",
    "can_resume": "persona.api.can_resume",
    "verify_personas": "persona.api.verify",
    "export_run": "persona.api.export_file or persona.api.save_export",
    "apply_edit": "persona.api.edit",
    "check_edited": "persona.api.edit",
}


def test_the_cli_and_the_pages_use_the_python_api() -> None:
    """Reading, planning, generating, resuming, verifying, exporting and opening History go
    through persona.api in the CLI and the dashboard, exactly as in a notebook."""
    faces = [
        ROOT / "persona" / "dashboard" / "app.py",
        *(ROOT / "persona" / "dashboard" / "pages").rglob("*.py"),
        *(ROOT / "persona/cli").glob("*.py"),
    ]
    offenders = []
    for path in faces:
        where = path.relative_to(ROOT)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("persona."):
                if node.module != "persona.api":
                    offenders += [
                        f"{where}: {a.name} (use {API_CALLS[a.name]})"
                        for a in node.names
                        if a.name in API_CALLS
                    ]
            elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Store":
                offenders.append(f"{where}:{node.lineno}: Store() (use persona.api.open_history)")
    assert offenders == []


def _shown_by_magic(body: list[ast.stmt]) -> list[int]:
    """Lines of bare strings Streamlit's magic would write on the page: outside functions
    and classes, whose docstrings it skips (as it skips the script's own docstring)."""
    lines = []
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, (ast.Constant, ast.JoinedStr)):
            lines.append(node.lineno)
        for field in ("body", "orelse", "finalbody", "handlers"):
            lines += _shown_by_magic(getattr(node, field, []))
    return lines


def test_no_page_shows_a_stray_string() -> None:
    scripts = [
        ROOT / "persona" / "dashboard" / "app.py",
        *sorted((ROOT / "persona" / "dashboard" / "pages").glob("*.py")),
    ]
    stray = {}
    for script in scripts:
        body = ast.parse(script.read_text(encoding="utf-8")).body
        if body and ast.get_docstring(ast.Module(body=body, type_ignores=[])) is not None:
            body = body[1:]
        if lines := _shown_by_magic(body):
            stray[script.name] = lines
    assert stray == {}, f"bare strings Streamlit would show on the page (use comments): {stray}"
