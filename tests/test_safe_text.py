"""Untrusted text is shown literally: property and example tests of the Markdown escaper."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from persona.core.safe_text import WORD_JOINER, escape_markdown

_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def unescape(markdown: str) -> str:
    """What a CommonMark renderer shows for escaped text (escapes and hard breaks removed)."""
    return _ESCAPE.sub(r"\1", markdown.replace("  \n", "\n")).replace(WORD_JOINER, "")


@pytest.mark.parametrize(
    "hostile",
    [
        "![](http://evil.example/pixel.png)",
        "[click](https://evil.example)",
        "<img src=x onerror=alert(1)>",
        "<script>alert(1)</script>",
        "https://evil.example/?q=secret",
        "www.evil.example",
        ":red[alarm] :material/home:",
        "$$x^2$$",
        "# Heading",
        "&lt;b&gt;",
    ],
)
def test_no_markup_survives(hostile: str) -> None:
    escaped = escape_markdown(hostile)
    assert not re.search(r"(?<!\\)[!\[\]()<>:$#&]", escaped), escaped
    assert unescape(escaped) == hostile


@given(st.text())
def test_any_text_reads_back_as_written(text: str) -> None:
    # What a reader sees: line breaks as breaks, and word joiners, which are invisible (the
    # escaper adds its own, so one already in the text cannot be told apart from them).
    normalized = text.replace("\r\n", "\n").replace("\r", "\n").replace(WORD_JOINER, "")
    assert unescape(escape_markdown(text)) == normalized


@given(st.text())
def test_no_unescaped_punctuation_remains(text: str) -> None:
    stripped = _ESCAPE.sub("", escape_markdown(text))
    assert not re.search(r"[!-/:-@\[-`{-~]", stripped)


@pytest.mark.parametrize(
    "text",
    ["http://127.0.0.2/x.png", "HTTPS://a.b", "www.example.com", "ana@example.com", "ftp://x"],
)
def test_bare_urls_and_addresses_are_not_linked(text: str) -> None:
    """GitHub-flavoured Markdown links bare URLs after escapes are resolved; the word joiner
    breaks the pattern it matches while the text reads the same."""
    escaped = escape_markdown(text)
    shown = _ESCAPE.sub(r"\1", escaped)
    assert not re.search(r"(?i)\b(https?|ftp)://|\bwww\.|\w@\w", shown), shown
    assert unescape(escaped) == text
