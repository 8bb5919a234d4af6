"""Each setting's one rule, whatever the source: an option, a variable, the file, the page."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from persona.core.errors import ConfigError
from persona.core.setting_rules import (
    VARIABLES,
    default_data_dir,
    environment_values,
    parse_value,
    resolve_ollama_host,
)
from persona.core.settings import SAVED, load_settings, save_settings


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "http://127.0.0.1:11434"),
        ("1.2.3.4", "http://1.2.3.4:11434"),
        (":56789", "http://127.0.0.1:56789"),
        ("1.2.3.4:56789", "http://1.2.3.4:56789"),
        ("example.com", "http://example.com:11434"),
        ("http://example.com", "http://example.com:80"),
        ("https://example.com", "https://example.com:443"),
        ("https://example.com:56789", "https://example.com:56789"),
        ("example.com/path", "http://example.com:11434/path"),
        ("https://example.com:56789/path/", "https://example.com:56789/path"),
        ("0.0.0.0", "http://127.0.0.1:11434"),
        ("0.0.0.0:8080", "http://127.0.0.1:8080"),
        ("[0001:002:003:0004::1]", "http://[0001:002:003:0004::1]:11434"),
        ("[::1]:56789", "http://[::1]:56789"),
        ("  localhost  ", "http://localhost:11434"),
    ],
)
def test_resolve_host(value: str, expected: str) -> None:
    assert resolve_ollama_host(value) == expected
    assert resolve_ollama_host(expected) == expected  # a resolved address stays as it is


def test_bad_port_is_explained() -> None:
    with pytest.raises(ConfigError, match="OLLAMA_HOST is set to 'localhost:notaport'") as info:
        resolve_ollama_host("localhost:notaport")
    assert "127.0.0.1:11434" in str(info.value)


SOURCES = ["option", "variable", "file", "page"]


def load_from(source: str, key: str, raw: object, folder: Path) -> object:
    """Setting ``key`` to ``raw`` through one source, and the value in force (or the error)."""
    if source == "option":
        settings = load_settings(folder, env={}, arguments={key: raw})
    elif source == "variable":
        settings = load_settings(folder, env={VARIABLES[key]: str(raw)})
    elif source == "file":
        value = f'"{raw}"' if isinstance(raw, str) else repr(raw)
        (folder / "settings.toml").write_text(f"{key} = {value}\n", encoding="utf-8")
        settings = load_settings(folder, env={})
    else:
        settings = load_settings(folder, env={}, changes={key: raw})
    return settings.to_saved()[key]


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("key", ["connect_timeout", "request_timeout"])
@pytest.mark.parametrize("raw", ["0", 0, "-1", "off", "soon", "nan", "inf", "1e400"])
def test_connect_and_request_timeouts_refuse_zero_everywhere(
    tmp_path: Path, source: str, key: str, raw: object
) -> None:
    """PERSONA_CONNECT_TIMEOUT=0 was the default in one parser and an error in the other."""
    with pytest.raises(ConfigError) as info:
        load_from(source, key, raw, tmp_path)
    assert "a positive number of seconds, such as" in info.value.accepted
    assert "(the default)" in info.value.accepted


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("raw", ["0", 0, "off", "none", "OFF"])
def test_a_load_timeout_of_zero_or_off_means_no_limit_everywhere(
    tmp_path: Path, source: str, raw: object
) -> None:
    if source == "file" and isinstance(raw, str) and raw != "0":
        return  # TOML holds numbers: 0 is what the file says for no limit
    assert load_from(source, "load_timeout", raw, tmp_path) == 0
    settings = load_settings(tmp_path, env={"PERSONA_LOAD_TIMEOUT": str(raw)})
    assert settings.timeouts.load is None


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("key", ["connect_timeout", "request_timeout", "load_timeout"])
def test_a_good_timeout_is_the_same_from_every_source(
    tmp_path: Path, source: str, key: str
) -> None:
    assert load_from(source, key, 2.5, tmp_path) == 2.5


@pytest.mark.parametrize(
    ("variable", "where"),
    [
        ("PERSONA_CONNECT_TIMEOUT", "connect_timeout"),
        ("PERSONA_MAX_FILE_MB", "max_file_mb"),
    ],
)
def test_an_error_names_the_source_and_says_what_to_write(
    tmp_path: Path, variable: str, where: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, env={variable: "0"})
    assert str(info.value).startswith(f"{variable} is set to '0', which Persona cannot use: a ")
    (tmp_path / "settings.toml").write_text(f"{where} = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, env={})
    assert info.value.name == f"{where} in {tmp_path / 'settings.toml'}"


@given(seconds=st.floats(min_value=1e-6, max_value=1e9))
def test_every_positive_number_of_seconds_is_kept(seconds: float) -> None:
    for key in ("connect_timeout", "request_timeout", "load_timeout"):
        assert parse_value(key, repr(seconds), "X") == seconds
        assert parse_value(key, seconds, "X") == seconds


@given(seconds=st.floats(max_value=0, exclude_max=True) | st.just(0.0) | st.just(-0.0))
def test_no_timeout_is_zero_or_negative(seconds: float) -> None:
    for key in ("connect_timeout", "request_timeout"):
        with pytest.raises(ConfigError):
            parse_value(key, repr(seconds), "X")
    if seconds == 0:
        assert parse_value("load_timeout", repr(seconds), "X") is None
    else:
        with pytest.raises(ConfigError):
            parse_value("load_timeout", repr(seconds), "X")


@given(key=st.sampled_from([*VARIABLES, "gguf_files"]), raw=st.text(max_size=40))
@example(key="data_dir", raw="~0")  # no user "0": Python raised a bare RuntimeError
def test_any_text_is_a_value_or_a_config_error(key: str, raw: str) -> None:
    """The parser never crashes on what someone types: it parses, or it says what to write."""
    try:
        parse_value(key, raw, "X")
    except ConfigError as exc:
        assert exc.name == "X" and exc.value == raw.strip() and exc.accepted


@given(
    parallel=st.integers(min_value=-5, max_value=40),
    context=st.integers(min_value=-5, max_value=20_000_000),
)
def test_whole_numbers_keep_their_bounds(parallel: int, context: int) -> None:
    if 0 <= parallel <= 16:
        assert parse_value("parallel", str(parallel), "X") == (parallel or None)
    else:
        with pytest.raises(ConfigError, match="from 1 to 16"):
            parse_value("parallel", str(parallel), "X")
    if 0 <= context <= 10_000_000:
        assert parse_value("context_length", context, "X") == (context or None)
    else:
        with pytest.raises(ConfigError, match="whole number of tokens"):
            parse_value("context_length", context, "X")


@pytest.mark.parametrize("value", ["abc", "-3", "0", "nan", "inf", "1e400", "off"])
def test_bad_file_sizes_name_the_variable_and_what_is_accepted(value: str) -> None:
    with pytest.raises(ConfigError) as info:
        environment_values({"PERSONA_MAX_FILE_MB": value})
    message = str(info.value)
    assert message.startswith(f"PERSONA_MAX_FILE_MB is set to {value!r}")
    assert "a positive number of megabytes, such as 50" in message
    assert info.value.name == "PERSONA_MAX_FILE_MB"


def test_blank_variables_are_not_set() -> None:
    assert environment_values({"PERSONA_CONNECT_TIMEOUT": "  ", "PERSONA_ENGINE": ""}) == {}


def test_every_saved_setting_has_one_rule_and_a_variable() -> None:
    assert set(SAVED) == (set(VARIABLES) - {"data_dir"}) | {"gguf_files"}
    for key in SAVED:
        with pytest.raises(ConfigError):
            parse_value(key, object(), "X")


def test_max_file_size(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, env={"PERSONA_MAX_FILE_MB": "2"})
    assert settings.max_file_bytes == 2 * 1024 * 1024
    assert save_settings({"max_file_mb": 3}, tmp_path).max_file_mb == 3.0


def test_data_dir_override(tmp_path: Path) -> None:
    env = {"PERSONA_DATA_DIR": str(tmp_path / "d")}
    assert default_data_dir(env) == tmp_path / "d"
    assert load_settings(env=env).data_dir == tmp_path / "d"
    assert load_settings(env=env).models_dir == tmp_path / "d" / "models"


@pytest.mark.parametrize(
    ("system", "expected_tail"),
    [
        ("Darwin", Path("Library/Application Support/Persona")),
        ("Linux", Path(".local/share/persona")),
    ],
)
def test_data_dir_per_os(monkeypatch: pytest.MonkeyPatch, system: str, expected_tail: Path) -> None:
    monkeypatch.setattr("platform.system", lambda: system)
    assert default_data_dir({}) == Path.home() / expected_tail
