"""Each setting's one rule: the values it accepts, wherever the value comes from.

A command-line option, an environment variable, ``settings.toml`` and the Settings page all go
through :func:`parse_value`, so ``PERSONA_CONNECT_TIMEOUT=0`` and ``connect_timeout = 0`` in the
file get the same answer (here: refused, with what to write instead). A bad value raises
:class:`ConfigError` naming where it came from, the value, and what Persona accepts.
"""

from __future__ import annotations

import ipaddress
import math
import os
import platform
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

from persona.core.errors import ConfigError

EngineKind = Literal["ollama", "openai", "builtin"]
ENGINES: tuple[EngineKind, ...] = get_args(EngineKind)
MAX_PARALLEL = 16
MAX_CONTEXT = 10_000_000
DEFAULT_OLLAMA_HOST = "http://127.0.0.1:11434"
DEFAULT_MAX_FILE_MB = 50.0
_OLLAMA_PORT = 11434
_NO_LIMIT = ("none", "off")

VARIABLES: dict[str, str] = {
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
    "max_file_mb": "PERSONA_MAX_FILE_MB",
    "data_dir": "PERSONA_DATA_DIR",
}
"""Setting → the environment variable that sets it (API keys are not settings: never saved)."""


@dataclass(frozen=True)
class Timeouts:
    """Seconds. ``None`` means wait as long as it takes."""

    connect: float = 3.0
    """Opening a connection: a dead or absent server fails this fast."""
    request: float = 30.0
    """Quick calls (version, list, show, ps, delete)."""
    load: float | None = None
    """Generation and pulls: Ollama sends nothing while a model loads, which can take minutes."""


def parse_value(key: str, raw: Any, where: str) -> Any:
    """The value of setting ``key`` from ``raw`` (text from the environment or an option, a
    TOML value, a page field); ``where`` names the source in the error."""
    rule = _RULES.get(key)
    if rule is None:
        raise ConfigError(where, raw, f"one of the settings {', '.join(_RULES)}")
    return rule(raw.strip() if isinstance(raw, str) else raw, where)


def environment_values(env: Mapping[str, str]) -> dict[str, Any]:
    """Every setting ``env`` sets (a variable set to blanks counts as not set), parsed."""
    return {
        key: parse_value(key, env[variable], variable)
        for key, variable in VARIABLES.items()
        if env.get(variable, "").strip()
    }


def default_data_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where Persona keeps its data: ``PERSONA_DATA_DIR``, else the OS's per-user data folder."""
    env = os.environ if env is None else env
    override = env.get(VARIABLES["data_dir"], "")
    if override.strip():
        folder: Path = parse_value("data_dir", override, VARIABLES["data_dir"])
        return folder
    home = Path.home()
    system = platform.system()
    if system == "Darwin":
        return home / "Library" / "Application Support" / "Persona"
    if system == "Windows":
        return Path(env.get("APPDATA") or home / "AppData" / "Roaming") / "Persona"
    return Path(env.get("XDG_DATA_HOME") or home / ".local" / "share") / "persona"


def resolve_ollama_host(raw: str) -> str:
    """The Ollama base URL that ``raw`` means, or the local default for an empty one.

    Accepts what Ollama's own clients accept: ``host``, ``host:port``, ``:port``,
    ``scheme://host[:port][/path]``. ``0.0.0.0`` (a *listen* address) means this machine.
    """
    raw = raw.strip()
    if not raw:
        return DEFAULT_OLLAMA_HOST
    scheme, sep, rest = raw.partition("://")
    port = _OLLAMA_PORT
    if not sep:
        scheme, rest = "http", raw
    elif scheme == "https":
        port = 443
    elif scheme == "http":
        port = 80
    try:  # a bad port, or an unclosed [ of an IPv6 address
        parts = urlsplit(f"{scheme}://{rest}")
        port = parts.port or port
    except ValueError as exc:
        raise ConfigError(
            "OLLAMA_HOST", raw, "an address such as 127.0.0.1:11434 or http://host:11434"
        ) from exc
    hostname = parts.hostname or "127.0.0.1"
    if hostname in ("0.0.0.0", "::"):
        hostname = "127.0.0.1"
    try:
        if ipaddress.ip_address(hostname).version == 6:
            hostname = f"[{hostname}]"
    except ValueError:
        pass
    path = parts.path.strip("/")
    base = f"{scheme}://{hostname}:{port}"
    return f"{base}/{path}" if path else base


def normalize_base_url(url: str, name: str = "OPENAI_BASE_URL") -> str:
    """``http(s)://host[:port]/path`` without a trailing slash; ``/v1`` added when no path."""
    accepted = "a URL such as http://127.0.0.1:8000/v1"
    try:  # a bad port, or an unclosed [ of an IPv6 address
        parts = urlsplit(url.strip())
        _ = parts.port
    except ValueError as exc:
        raise ConfigError(name, url, accepted) from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(name, url, accepted)
    if parts.query or parts.fragment:
        raise ConfigError(name, url, accepted + " (no ?query or #fragment)")
    path = parts.path.rstrip("/") or "/v1"
    return f"{parts.scheme}://{parts.netloc}{path}"


# --- the rules ----------------------------------------------------------------------------------


def _engine(value: Any, where: str) -> EngineKind:
    for kind in ENGINES:
        if value == kind:
            return kind
    raise ConfigError(where, value, "one of " + ", ".join(ENGINES))


def _ollama_host(value: Any, where: str) -> str:
    try:
        return resolve_ollama_host(_text(value, where))
    except ConfigError as exc:
        raise ConfigError(where, value, exc.accepted) from exc


def _base_url(value: Any, where: str) -> str:
    return normalize_base_url(_text(value, where), where) if value else ""


def _parallel(value: Any, where: str) -> int | None:
    accepted = f"a whole number from 1 to {MAX_PARALLEL}, or 0 for the engine's default"
    return _bounded_whole(value, where, MAX_PARALLEL, accepted) or None


def _context_length(value: Any, where: str) -> int | None:
    accepted = "a whole number of tokens such as 8192, or 0 for unknown"
    return _bounded_whole(value, where, MAX_CONTEXT, accepted) or None


def _bounded_whole(value: Any, where: str, most: int, accepted: str) -> int:
    number = _number(value)
    if number is None or not number.is_integer() or not 0 <= number <= most:
        raise ConfigError(where, value, accepted)
    return int(number)


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(where, value, "text in quotes")
    return value


def _expanded(value: str | Path, where: str, accepted: str) -> Path:
    """``~`` and ``~user`` expanded; a ``~name`` that is no user here is a ConfigError."""
    try:
        return Path(value).expanduser()
    except RuntimeError as exc:  # "Could not determine home directory."
        raise ConfigError(
            where, value, f"{accepted}, whose ~ names a user of this computer (or a full path)"
        ) from exc


def _folder(value: Any, where: str) -> Path:
    if not isinstance(value, str | Path) or not str(value):
        raise ConfigError(where, value, "a folder path")
    return _expanded(value, where, "a folder path")


def _gguf_files(value: Any, where: str) -> tuple[Path, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(p, str | Path) for p in value):
        raise ConfigError(where, value, "a list of paths to .gguf files")
    return tuple(_expanded(p, where, "a list of paths to .gguf files") for p in value)


def _seconds(default: float) -> Callable[[Any, str], float]:
    def rule(value: Any, where: str) -> float:
        number = _number(value)
        if number is None or not 0 < number < math.inf:
            raise ConfigError(
                where, value, f"a positive number of seconds, such as {default:g} (the default)"
            )
        return number

    return rule


def _load_seconds(value: Any, where: str) -> float | None:
    if isinstance(value, str) and value.lower() in _NO_LIMIT:
        return None
    number = _number(value)
    if number is None or not 0 <= number < math.inf:
        raise ConfigError(
            where, value, "a positive number of seconds, or 0 or off for no limit (the default)"
        )
    return number or None


def _megabytes(value: Any, where: str) -> float:
    number = _number(value)
    if number is None or not 0 < number < math.inf:
        raise ConfigError(
            where, value, f"a positive number of megabytes, such as {DEFAULT_MAX_FILE_MB:g}"
        )
    return number


def _number(value: Any) -> float | None:
    """``value`` as a finite or infinite number, or None when it is not one (NaN included)."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return None if math.isnan(number) else number


_RULES: dict[str, Callable[[Any, str], Any]] = {
    "engine": _engine,
    "ollama_host": _ollama_host,
    "base_url": _base_url,
    "parallel": _parallel,
    "model": _text,
    "context_length": _context_length,
    "models_dir": _folder,
    "gguf_files": _gguf_files,
    "connect_timeout": _seconds(Timeouts.connect),
    "request_timeout": _seconds(Timeouts.request),
    "load_timeout": _load_seconds,
    "max_file_mb": _megabytes,
    "data_dir": _folder,
}
