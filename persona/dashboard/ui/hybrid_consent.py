"""Hybrid consent: the Anthropic key in force, and agreement bound to exactly one preview.

Any change to what would be sent (model, cap, drafts, their text) clears the agreement and
says why; agreement covers one Send.
"""

from __future__ import annotations

import streamlit as st

from persona.api.display import escape_markdown
from persona.api.hybrid import Consent, changes, find_api_key
from persona.types import KEY_VARIABLE, Preview

GIVEN = "hy_consent_given"
"""Session state: the consent the user ticked (None until they agree)."""
ROUND = "hy_round"
"""Session state: a new round draws a new, unticked box."""


def api_key() -> str | None:
    """The key in force (see :func:`find_api_key`), from `.streamlit/secrets.toml` or this
    session's password field when the environment has none."""
    try:
        secret = st.secrets.get(KEY_VARIABLE)
    except FileNotFoundError:
        secret = None
    return find_api_key(
        secret=None if secret is None else str(secret), typed=st.session_state.get("hy_key")
    )


def consent_box(preview: Preview) -> bool:
    """The consent checkbox, bound to exactly this preview; True when consent covers it."""
    shown = preview.consent
    round_ = st.session_state.get(ROUND, 0)
    given = st.session_state.get(GIVEN)
    if given is not None and given != shown:
        st.session_state.hy_cleared = changes(given, shown)
        st.session_state[GIVEN] = None
        st.session_state[ROUND] = round_ = round_ + 1  # a new, unticked box
    if st.session_state.get("hy_cleared"):
        st.warning(
            escape_markdown(
                "Your agreement was cleared because "
                + "; ".join(st.session_state.hy_cleared)
                + ". Review what would be sent and agree again."
            ),
            icon=":material/gpp_maybe:",
        )

    def agreed() -> None:
        ticked = bool(st.session_state.get(f"hy_consent_{round_}"))
        st.session_state[GIVEN] = shown if ticked else None
        st.session_state.hy_cleared = None

    cap = "no cap" if preview.cap_usd is None else f"${preview.cap_usd:.2f}"
    repairs = sum(item.mode == "repair" for item in preview.selected)
    how = f"; {repairs} unusable, to have the problems Persona found repaired" if repairs else ""
    st.checkbox(
        f"I agree to send the {len(preview.selected)} redacted persona(s) above to Anthropic "
        f"({preview.model}, at most {cap}{how}).",
        key=f"hy_consent_{round_}",
        on_change=agreed,
    )
    return st.session_state.get(GIVEN) == shown


def use_consent() -> Consent | None:
    """The consent given, used up: consent is per Send, the next one needs a new tick."""
    given: Consent | None = st.session_state.get(GIVEN)
    st.session_state[GIVEN] = None
    st.session_state[ROUND] = st.session_state.get(ROUND, 0) + 1
    return given
