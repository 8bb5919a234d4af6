"""Untrusted text on a page: the one way strings from research files or a model are shown.

Every element that renders Markdown (text, captions, alerts, headings, and the labels of
expanders, popovers, tabs and status boxes) would turn ``![](http://host/x.png)`` in a
transcript into a request to that host, a link, or Streamlit markup. Pages pass every
string that came from a file, a model, a file name or an error message about them through
:func:`safe` (or :func:`safe_line` for one-line labels) and compose their own Markdown
around it. Tables (``st.dataframe``) and code blocks (``st.code``) show text literally and
need nothing.
"""

from __future__ import annotations

from persona.api.display import escape_markdown


def safe(text: object) -> str:
    """``text`` as Markdown that shows it literally: no image, link, HTML or directive."""
    return escape_markdown(str(text))


def safe_line(text: object, limit: int = 200) -> str:
    """:func:`safe` on one line, shortened to ``limit`` characters: for labels and titles."""
    line = " ".join(str(text).split())
    if len(line) > limit:
        line = line[: limit - 1].rstrip() + "…"
    return escape_markdown(line)
