"""Which engine Persona uses and how: saved in ``settings.toml``, overridden by the environment.

The file holds only non-secret settings, in Persona's data folder, readable by the user only.
API keys are never part of it: they come from the environment (``OPENAI_API_KEY``,
``OLLAMA_API_KEY``) or from a field that lives only as long as the browser session.
Environment variables beat the file, so a deployment can pin a setting the page cannot change.
"""

from __future__ import annotations

import ipaddress
import json
import math
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

from persona.core.errors import ConfigError
from persona.core.private import private_dir, write_private
from persona.core.settings import (
    DEFAULT_OLLAMA_HOST,
    Timeouts,
    default_data_dir,
    resolve_ollama_host,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

EngineKind = Literal["ollama", "openai", "builtin"]
ENGINES: tuple[EngineKind, ...] = get_args(EngineKind)
ENGINE_NAMES: dict[EngineKind, str] = {
    "ollama": "Ollama",
    "openai": "OpenAI-compatible server",
    "builtin": "Built-in engine",
}
SETTINGS_FILE = "settings.toml"
MAX_PARALLEL = 16
MAX_CONTEXT = 10_000_000

ENVIRONMENT: dict[str, str] = {
    "engine": "PERSONA_ENGINE",
    "ollama_host": "OLLAMA_HOST",
    "base_url": "OPENAI_BASE_URL",
    "parallel": "PERSONA_PARALLEL",
    "model": "PERSONA_MODEL",
    "context_length": "PERSONA_CONTEXT_LENGTH",
    "models_dir": "PERSONA_MODELS_DIR",
    "connect_timeout": "PERSONA_CONNECT_TIMEOUT",
    "request_timeout": "PERSONA_REQUEST_TIMEOUT",
    "load_timeout": "PERSONA_LOAD_TIMEOUT",
}
"""Setting → the environment variable that overrides it."""
SAVED = (*ENVIRONMENT, "gguf_files")
"""Every key ``settings.toml`` may hold (none of them secret)."""
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
}
"""Each setting's name on the Settings page."""


@dataclass(frozen=True)
class EngineSettings:
    """The engine settings in force: defaults, then ``settings.toml``, then the environment."""

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
    models_dir: Path = field(default_factory=lambda: default_data_dir() / "models")
    """The folder the built-in engine looks in for GGUF files."""
    gguf_files: tuple[Path, ...] = ()
    """GGUF files added by path, wherever they are."""
    timeouts: Timeouts = field(default_factory=Timeouts)
    from_environment: Mapping[str, str] = field(default_factory=dict)
    """Settings the environment overrode: setting → variable name (the page cannot change them)."""

    @property
    def engine_name(self) -> str:
        return ENGINE_NAMES[self.engine]

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
        }


ON_THIS_MACHINE = "on this machine"


def where_engine_runs(settings: EngineSettings) -> str:
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


def settings_path(data_dir: Path | None = None) -> Path:
    return (data_dir if data_dir is not None else default_data_dir()) / SETTINGS_FILE


def load_settings(
    data_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
    *,
    changes: Mapping[str, Any] | None = None,
) -> EngineSettings:
    """The settings in force: ``settings.toml`` in ``data_dir``, then ``changes`` not saved yet
    (to test them), then the environment.

    Raises :class:`ConfigError` naming the file key or variable that holds a bad value.
    """
    env = os.environ if env is None else env
    folder = data_dir if data_dir is not None else default_data_dir()
    values: dict[str, Any] = {}
    for key, raw in read_saved(folder).items():
        values[key] = _parse(key, raw, f"{key} in {settings_path(folder)}")
    for key, raw in (changes or {}).items():
        values[key] = _parse(key, raw, LABELS.get(key, key))
    overridden: dict[str, str] = {}
    for key, variable in ENVIRONMENT.items():
        raw = env.get(variable, "").strip()
        if raw:
            values[key] = _parse(key, raw, variable)
            overridden[key] = variable
    return _build(values, folder, overridden)


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


def save_settings(changes: Mapping[str, Any], data_dir: Path | None = None) -> EngineSettings:
    """Validate ``changes`` (setting → value), merge them into ``settings.toml`` and return the
    settings now in force. Only the keys of :data:`SAVED` are accepted: never a key."""
    folder = data_dir if data_dir is not None else default_data_dir()
    unknown = sorted(set(changes) - set(SAVED))
    if unknown:
        raise ConfigError(", ".join(unknown), "(not a setting)", f"one of {', '.join(SAVED)}")
    saved = read_saved(folder)
    for key, raw in changes.items():
        _parse(key, raw, LABELS[key])  # refuse a bad value before anything is written
        saved[key] = _plain(key, raw)
    _write_toml(settings_path(folder), saved)
    return load_settings(folder)


def with_overrides(settings: EngineSettings, **values: Any) -> EngineSettings:
    """``settings`` with command-line options (``None`` = not given) applied on top."""
    parsed = {key: _parse(key, raw, _option(key)) for key, raw in values.items() if raw is not None}
    return replace(settings, **parsed)


def _option(key: str) -> str:
    return "--" + key.replace("_", "-").replace("ollama-host", "host")


# --- values -------------------------------------------------------------------------------------


def _parse(key: str, raw: Any, name: str) -> Any:
    """The value of setting ``key`` from ``raw`` (file, environment or page); ``name`` says
    where it came from in the error."""
    text = raw.strip() if isinstance(raw, str) else raw
    if key == "engine":
        if text not in ENGINES:
            raise ConfigError(name, raw, "one of " + ", ".join(ENGINES))
        return text
    if key == "ollama_host":
        try:
            return resolve_ollama_host(str(text))
        except ConfigError as exc:
            raise ConfigError(name, raw, exc.accepted) from exc
    if key == "base_url":
        return normalize_base_url(str(text), name) if text else ""
    if key == "parallel":
        number = _whole(
            text, name, f"a whole number from 1 to {MAX_PARALLEL}, or 0 for the engine's default"
        )
        if not 0 <= number <= MAX_PARALLEL:
            raise ConfigError(name, raw, f"a whole number from 1 to {MAX_PARALLEL}")
        return number or None
    if key == "model":
        return str(text)
    if key == "context_length":
        number = _whole(text, name, "a whole number of tokens such as 8192, or 0 for unknown")
        if not 0 <= number <= MAX_CONTEXT:
            raise ConfigError(name, raw, "a whole number of tokens such as 8192, or 0 for unknown")
        return number or None
    if key == "models_dir":
        if not str(text):
            raise ConfigError(name, raw, "a folder path")
        return Path(str(text)).expanduser()
    if key == "gguf_files":
        if not isinstance(raw, list | tuple) or not all(isinstance(p, str | Path) for p in raw):
            raise ConfigError(name, raw, "a list of paths to .gguf files")
        return tuple(Path(str(p)).expanduser() for p in raw)
    if key.endswith("_timeout"):
        return _seconds(key, text, raw, name)
    raise ConfigError(name, raw, f"one of {', '.join(SAVED)}")


def _whole(text: Any, name: str, accepted: str) -> int:
    if isinstance(text, bool):
        raise ConfigError(name, text, accepted)
    if isinstance(text, int):
        return text
    try:
        return int(str(text))
    except ValueError as exc:
        raise ConfigError(name, text, accepted) from exc


def _seconds(key: str, text: Any, raw: Any, name: str) -> float | None:
    accepted = "a positive number of seconds" + (
        ", or 0 / off for no limit" if key == "load_timeout" else ""
    )
    if isinstance(text, str) and text.lower() in ("none", "off"):
        text = 0
    try:
        number = float(text)
    except (TypeError, ValueError) as exc:
        raise ConfigError(name, raw, accepted) from exc
    if key == "load_timeout" and number == 0:
        return None
    if not number > 0 or math.isinf(number) or math.isnan(number):
        raise ConfigError(name, raw, accepted)
    return number


def normalize_base_url(url: str, name: str = "OPENAI_BASE_URL") -> str:
    """``http(s)://host[:port]/path`` without a trailing slash; ``/v1`` added when no path."""
    parts = urlsplit(url.strip())
    accepted = "a URL such as http://127.0.0.1:8000/v1"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(name, url, accepted)
    try:
        _ = parts.port
    except ValueError as exc:
        raise ConfigError(name, url, accepted) from exc
    if parts.query or parts.fragment:
        raise ConfigError(name, url, accepted + " (no ?query or #fragment)")
    path = parts.path.rstrip("/") or "/v1"
    return f"{parts.scheme}://{parts.netloc}{path}"


def _plain(key: str, raw: Any) -> Any:
    """A value as TOML holds it (strings, numbers, a list of strings)."""
    if key == "gguf_files":
        return [str(Path(str(p)).expanduser()) for p in raw]
    if key in ("parallel", "context_length"):
        return int(raw or 0)
    if key.endswith("_timeout"):
        if isinstance(raw, str) and raw.strip().lower() in ("none", "off"):
            return 0
        return float(raw or 0)
    return str(raw).strip()


def _build(
    values: Mapping[str, Any], data_dir: Path, overridden: Mapping[str, str]
) -> EngineSettings:
    defaults = Timeouts()
    timeouts = Timeouts(
        connect=values.get("connect_timeout") or defaults.connect,
        request=values.get("request_timeout") or defaults.request,
        load=values.get("load_timeout", defaults.load),
    )
    return EngineSettings(
        engine=values.get("engine", "ollama"),
        ollama_host=values.get("ollama_host", DEFAULT_OLLAMA_HOST),
        base_url=values.get("base_url", ""),
        parallel=values.get("parallel"),
        model=values.get("model", ""),
        context_length=values.get("context_length"),
        models_dir=values.get("models_dir") or data_dir / "models",
        gguf_files=values.get("gguf_files", ()),
        timeouts=timeouts,
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
