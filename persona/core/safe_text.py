"""Untrusted text (from research files or a model) made safe to show as Markdown.

Every string that came from a file or a model is data, never markup: no image that makes the
browser fetch a URL, no link, no HTML, no Streamlit directive (``:red[...]``, ``:material/x:``)
and no LaTeX. Pages pass such text through :func:`escape_markdown` before any Markdown
rendering (or use a plain-text element).
"""

from __future__ import annotations

import re

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
"""Every ASCII punctuation character: CommonMark lets a backslash escape each of them."""
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")
_AUTOLINK_STARTS = re.compile(
    r"(?i)(?<![a-z0-9])(?:https?|ftp|mailto|xmpp)(?=:)|(?<![a-z0-9])www(?=\.)|@"
)
"""Where GitHub-flavoured Markdown starts a bare-URL link: ``http:``, ``www.``, an e-mail."""
WORD_JOINER = "\u2060"
"""An invisible character that joins words: it keeps the text as it reads, and breaks the
pattern Markdown links bare URLs by."""


def escape_markdown(text: str) -> str:
    """``text`` with every Markdown, HTML and Streamlit construct shown literally.

    Backslash-escaping each ASCII punctuation character defeats emphasis, links, images,
    HTML tags and entities, headings, lists, tables, directives and math; line breaks are
    kept as hard breaks so the text reads as it was written. Bare URLs and e-mail addresses
    are linked by GitHub-flavoured Markdown *after* escapes are resolved, so an invisible
    :data:`WORD_JOINER` goes after ``http``, ``www`` and ``@``: the text looks the same and
    no link is made.
    """
    unlinked = _AUTOLINK_STARTS.sub(lambda m: m.group(0) + WORD_JOINER, text)
    escaped = _PUNCTUATION.sub(r"\\\1", unlinked)
    return _LINE_BREAKS.sub("  \n", escaped)


def escape_html(text: str) -> str:
    """``text`` as HTML that also passes through a Markdown renderer literally.

    For HTML shown with Markdown enabled around it (Streamlit's ``unsafe_allow_html``): every
    ASCII punctuation character becomes a numeric character reference, which HTML decodes
    to the character and Markdown never reads as syntax. Line breaks become ``<br>``.
    """
    escaped = _PUNCTUATION.sub(lambda m: f"&#{ord(m.group(1))};", text)
    return _LINE_BREAKS.sub("<br>", escaped)
