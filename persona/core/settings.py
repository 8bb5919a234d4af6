"""Persona's settings, from one loader: arguments, then the environment, then ``settings.toml``,
then the defaults.

The file holds only non-secret settings, in Persona's data folder, readable by the user only.
API keys are never part of it: they come from the environment (``OPENAI_API_KEY``,
``OLLAMA_API_KEY``) or from a field that lives only as long as the browser session.
Environment variables beat the file, so a deployment can pin a setting the page cannot change.
Every value, from any source, is checked by its one rule in :mod:`persona.core.setting_rules`.
"""

from __future__ import annotations

import ipaddress
import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from persona.core.errors import ConfigError
from persona.core.private import private_dir, write_private
from persona.core.setting_rules import (
    DEFAULT_MAX_FILE_MB,
    DEFAULT_OLLAMA_HOST,
    VARIABLES,
    EngineKind,
    Timeouts,
    default_data_dir,
    environment_values,
    parse_value,
)

ENGINE_NAMES: dict[EngineKind, str] = {
    "ollama": "Ollama",
    "openai": "OpenAI-compatible server",
    "builtin": "Built-in engine",
}
SETTINGS_FILE = "settings.toml"

SAVED = (*(key for key in VARIABLES if key != "data_dir"), "gguf_files")
"""Every key ``settings.toml`` may hold (none of them secret; the data folder holds the file)."""
LABELS: dict[str, str] = {
    "engine": "Engine",
    "ollama_host": "Ollama address",
    "base_url": "Server address (base URL)",
    "parallel": "Parallel requests",
    "model": "Default model",
    "context_length": "Context length (tokens)",
    "models_dir": "Folder for GGUF files",
    "gguf_files": "GGUF files added by path",
    "connect_timeout": "Connect timeout (s)",
    "request_timeout": "Request timeout (s)",
    "load_timeout": "Load timeout (s, 0 = no limit)",
    "max_file_mb": "Largest file read (MB)",
    "data_dir": "Data folder",
}
"""Each setting's name for people (the Settings page; the error for a value it sends)."""
OPTIONS: dict[str, str] = {"ollama_host": "--host"}
"""The command-line option of a setting, where it is not ``--`` and the setting's name."""


@dataclass(frozen=True)
class Settings:
    """The settings in force; :func:`load_settings` makes them."""

    engine: EngineKind = "ollama"
    ollama_host: str = DEFAULT_OLLAMA_HOST
    base_url: str = ""
    """An OpenAI-compatible server's base URL, ending in ``/v1``."""
    parallel: int | None = None
    """Requests sent at once; None means the engine's own default."""
    model: str = ""
    """The model to preselect; empty means Persona's recommendation."""
    context_length: int | None = None
    """Context of an OpenAI-compatible server's models, when the server does not report it."""
    data_dir: Path = field(default_factory=lambda: default_data_dir({}))
    """Where History, the settings file, models, transcripts and logs live."""
    models_dir: Path = field(default_factory=lambda: default_data_dir({}) / "models")
    """The folder the built-in engine looks in for GGUF files."""
    gguf_files: tuple[Path, ...] = ()
    """GGUF files added by path, wherever they are."""
    timeouts: Timeouts = field(default_factory=Timeouts)
    max_file_mb: float = DEFAULT_MAX_FILE_MB
    """Larger files are reported, not read."""
    from_environment: Mapping[str, str] = field(default_factory=dict)
    """Settings the environment set: setting → variable name (the page cannot change them)."""

    @property
    def engine_name(self) -> str:
        return ENGINE_NAMES[self.engine]

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    def to_saved(self) -> dict[str, Any]:
        """The values as ``settings.toml`` holds them."""
        return {
            "engine": self.engine,
            "ollama_host": self.ollama_host,
            "base_url": self.base_url,
            "parallel": self.parallel or 0,
            "model": self.model,
            "context_length": self.context_length or 0,
            "models_dir": str(self.models_dir),
            "gguf_files": [str(path) for path in self.gguf_files],
            "connect_timeout": self.timeouts.connect,
            "request_timeout": self.timeouts.request,
            "load_timeout": self.timeouts.load or 0,
            "max_file_mb": self.max_file_mb,
        }


def load_settings(
    data_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
    *,
    changes: Mapping[str, Any] | None = None,
    arguments: Mapping[str, Any] | None = None,
) -> Settings:
    """The settings in force. Each comes from the first of: ``arguments`` (command-line
    options; ``None`` = not given), the environment ``env`` (default: ``os.environ``),
    ``changes`` made on the Settings page but not saved yet (to test them), ``settings.toml``
    in the data folder, the default. The data folder: ``data_dir``, else ``PERSONA_DATA_DIR``,
    else the OS's per-user data folder.

    Raises :class:`ConfigError` naming the option, variable or file key that holds a bad value.
    """
    env = os.environ if env is None else env
    folder = data_dir if data_dir is not None else default_data_dir(env)
    values: dict[str, Any] = {}
    for key, raw in read_saved(folder).items():
        values[key] = parse_value(key, raw, f"{key} in {settings_path(folder)}")
    for key, raw in (changes or {}).items():
        values[key] = parse_value(key, raw, LABELS.get(key, key))
    from_env = environment_values(env)
    from_env.pop("data_dir", None)  # already applied: it says where the file is
    values.update(from_env)
    for key, raw in (arguments or {}).items():
        if raw is not None:
            values[key] = parse_value(key, raw, OPTIONS.get(key, "--" + key.replace("_", "-")))
    return _build(values, folder, {key: VARIABLES[key] for key in from_env})


def settings_path(data_dir: Path | None = None) -> Path:
    return (data_dir if data_dir is not None else default_data_dir()) / SETTINGS_FILE


def read_saved(data_dir: Path | None = None) -> dict[str, Any]:
    """What ``settings.toml`` holds (known keys only), or nothing when there is no file."""
    path = settings_path(data_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(str(path), "(unreadable)", f"a readable file ({exc.strerror})") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            str(path), "(not valid TOML)", f"valid TOML ({exc}); fix the file or delete it"
        ) from exc
    return {key: value for key, value in data.items() if key in SAVED}


def save_settings(changes: Mapping[str, Any], data_dir: Path | None = None) -> Settings:
    """Validate ``changes`` (setting → value), merge them into ``settings.toml`` and return the
    settings now in force. Only the keys of :data:`SAVED` are accepted: never a key."""
    folder = data_dir if data_dir is not None else default_data_dir()
    unknown = sorted(set(changes) - set(SAVED))
    if unknown:
        raise ConfigError(", ".join(unknown), "(not a setting)", f"one of {', '.join(SAVED)}")
    saved = read_saved(folder)
    for key, raw in changes.items():
        saved[key] = _plain(key, parse_value(key, raw, LABELS[key]))  # refused before writing
    _write_toml(settings_path(folder), saved)
    return load_settings(folder)


ON_THIS_MACHINE = "on this machine"


def where_engine_runs(settings: Settings) -> str:
    """Where the engine does its work, for people: "on this machine" (the built-in engine, or
    a server at a loopback address), else "on 10.0.0.5:11434" or "on gpu-box:8000": the host
    and port only, never a user name, password, path or query."""
    if settings.engine == "builtin":
        return ON_THIS_MACHINE
    url = settings.ollama_host if settings.engine == "ollama" else settings.base_url
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    if not host:
        return f"on the {settings.engine_name} (no address set yet)"
    if _loopback(host):
        return ON_THIS_MACHINE
    try:
        port = parts.port
    except ValueError:
        port = None
    port = port or (443 if parts.scheme == "https" else 80)
    shown = f"[{host}]" if ":" in host else host
    return f"on {shown}:{port}"


def _loopback(host: str) -> bool:
    """``localhost``, 127.x.x.x, ::1 (and ``0.0.0.0``, which means this machine too)."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_unspecified


def _plain(key: str, value: Any) -> Any:
    """A parsed value as TOML holds it (strings, numbers, a list of strings; 0 for none)."""
    if key == "gguf_files":
        return [str(path) for path in value]
    if key in ("parallel", "context_length"):
        return int(value or 0)
    if key.endswith("_timeout") or key == "max_file_mb":
        return float(value or 0)
    return str(value)


def _build(values: Mapping[str, Any], data_dir: Path, overridden: Mapping[str, str]) -> Settings:
    defaults = Timeouts()
    timeouts = Timeouts(
        connect=values.get("connect_timeout", defaults.connect),
        request=values.get("request_timeout", defaults.request),
        load=values.get("load_timeout", defaults.load),
    )
    return Settings(
        engine=values.get("engine", "ollama"),
        ollama_host=values.get("ollama_host", DEFAULT_OLLAMA_HOST),
        base_url=values.get("base_url", ""),
        parallel=values.get("parallel"),
        model=values.get("model", ""),
        context_length=values.get("context_length"),
        data_dir=data_dir,
        models_dir=values.get("models_dir", data_dir / "models"),
        gguf_files=values.get("gguf_files", ()),
        timeouts=timeouts,
        max_file_mb=values.get("max_file_mb", DEFAULT_MAX_FILE_MB),
        from_environment=dict(overridden),
    )


# --- writing TOML -------------------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    # JSON string escapes are valid TOML basic-string escapes; DEL must be escaped too.
    return json.dumps(str(value)).replace("\x7f", "\\u007f")


def _write_toml(path: Path, values: Mapping[str, Any]) -> None:
    """Write ``values`` as a flat TOML table, atomically, readable by the user only."""
    lines = ["# Persona settings (no secrets: API keys are never written here)."]
    lines += [f"{key} = {_toml_value(values[key])}" for key in SAVED if key in values]
    text = "\n".join(lines) + "\n"
    tomllib.loads(text)  # never leave a file Persona itself cannot read
    try:
        private_dir(path.parent)  # the data folder: owner-only, like everything in it
        write_private(path, text.encode("utf-8"))
    except OSError as exc:
        raise ConfigError(str(path), "(not writable)", f"a writable file ({exc.strerror})") from exc
