"""The column preview: each column of a CSV, TSV or Excel upload, a few of its values and a
role the user can change (free-text answer, respondent ID, identifier, about the respondent,
ignore)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from persona.core.errors import PersonaError
from persona.core.safe_text import escape_markdown
from persona.ingest.columns import Table
from persona.ingest.preview import file_tables, is_table
from persona.ingest.roles import ROLE_LABELS, ROLES, ColumnRole, TableChoice

_PER_ROW = 3
_MAX_SHOWN = 60
"""Columns offered for a role change per table; the rest keep their suggested roles (a
5,000-column export would otherwise draw 5,000 select boxes)."""


def column_choices(uploads: Sequence[Any], *, key: str) -> dict[str, TableChoice]:
    """The sheets and column roles chosen for every table upload, by file name."""
    choices: dict[str, TableChoice] = {}
    tables = [(f, _tables(f)) for f in uploads if is_table(f.name)]
    tables = [(f, t) for f, t in tables if t]
    if not tables:
        return choices
    st.subheader("Columns")
    st.caption(
        "Only free-text answers become quotes. A respondent ID names who answered; columns "
        "about the respondent (age, role, ratings, closed questions) are context and never "
        "quoted. Identifiers (names, e-mail addresses, phone numbers) are never sent to a "
        "model, local or Claude, and are hidden wherever else they occur before the Hybrid "
        "step. Change a role if the suggestion is wrong."
    )
    for upload, found in tables:
        with st.expander(f"Columns of {upload.name}", expanded=True, icon=":material/table:"):
            choices[upload.name] = _choose(upload, found, key=f"{key}_{upload.file_id}")
    return choices


def _tables(upload: Any) -> list[Table]:
    cache_key = f"tables_{upload.file_id}"
    if cache_key not in st.session_state:
        try:
            st.session_state[cache_key] = file_tables(upload.name, upload.getvalue())
        except PersonaError:
            st.session_state[cache_key] = []  # the file report below says why
    tables: list[Table] = st.session_state[cache_key]
    return tables


def _label(role: ColumnRole) -> str:
    return ROLE_LABELS[role]


def _choose(upload: Any, tables: list[Table], *, key: str) -> TableChoice:
    sheets: tuple[str, ...] | None = None
    shown = tables
    if len(tables) > 1:
        names = [t.sheet for t in tables]
        picked = st.multiselect("Sheets to read", names, default=names, key=f"sheets_{key}")
        sheets = tuple(picked) if picked != names else None
        shown = [t for t in tables if t.sheet in picked]
    roles: dict[str, ColumnRole] = {}
    for table in shown:
        sheet = f"Sheet **{escape_markdown(table.sheet)}** · " if len(tables) > 1 else ""
        layout = f"recognised a **{table.layout}** export · " if table.layout else ""
        st.markdown(f"{sheet}{layout}{len(table.rows)} responses")
        columns = table.columns[:_MAX_SHOWN]
        for column in table.columns[_MAX_SHOWN:]:
            roles[column.key] = column.suggested
        if len(table.columns) > _MAX_SHOWN:
            st.caption(
                f"{len(table.columns):,} columns: the first {_MAX_SHOWN} are shown; the other "
                f"{len(table.columns) - _MAX_SHOWN:,} keep their suggested roles."
            )
        for start in range(0, len(columns), _PER_ROW):
            for cell, column in zip(
                st.columns(_PER_ROW), columns[start : start + _PER_ROW], strict=False
            ):
                with cell:
                    role = st.selectbox(
                        escape_markdown(column.key),  # a header from the file: text only
                        list(ROLES),
                        index=ROLES.index(column.suggested),
                        format_func=_label,
                        key=f"role_{key}_{table.sheet}_{column.index}",
                        help=f"Suggested: {ROLE_LABELS[column.suggested]} "
                        f"({escape_markdown(column.reason)}). "
                        f"Question: {escape_markdown(column.question)}",
                    )
                    roles[column.key] = role or column.suggested
                    samples = " · ".join(" ".join(v.split())[:60] for v in column.samples)
                    st.caption(escape_markdown(samples) or "(empty)")
    return TableChoice(sheets, roles)
