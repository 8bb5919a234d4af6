"""Talk to a persona: questions answered only from the study, with the passages quoted."""

from __future__ import annotations

import streamlit as st

from persona import api
from persona.api.chat import PersonaChat, why_not_talk
from persona.api.display import escape_markdown
from persona.api.runs import distinct_names, run_passages
from persona.core.errors import InputError, PersonaError
from persona.dashboard.ui.errors import show_error
from persona.dashboard.ui.quotes import CONTEXT_PASSAGES, context_button
from persona.dashboard.ui.resources import current_engine, current_where, store
from persona.dashboard.ui.uploads import read_uploads
from persona.types import SEARCHED, ChatTurn, Evidence, Passage, Quote, Reading, Run


def render_quote(quote: Quote, *, run_id: str, key: str) -> None:
    """A passage word for word, with its ID, place and speaker, and a way to read it in
    its context."""
    st.markdown("> " + escape_markdown(quote.text).replace("\n", "\n> "))
    who = f" · {quote.participant}" if quote.participant else ""
    st.caption(escape_markdown(f"{quote.id} · {quote.where}{who}"))
    evidence = Evidence(quote=quote.text, source=quote.source, locator=quote.locator)
    context_button(evidence, run_id, key=key)


def render_turn(turn: ChatTurn, *, run_id: str, key: str) -> None:
    with st.chat_message("user"):
        st.markdown(escape_markdown(turn.question))
    with st.chat_message("assistant"):
        render_answer(turn, run_id=run_id, key=key)


def render_answer(turn: ChatTurn, *, run_id: str, key: str) -> None:
    """The answer and its quotes, or the decline, why, and the nearest passages."""
    if turn.searched:
        st.caption(escape_markdown(f"{SEARCHED}: “{turn.searched}”"))
    if turn.supported:
        st.markdown(escape_markdown(turn.answer))
        for number, quote in enumerate(turn.cited):
            render_quote(quote, run_id=run_id, key=f"{key}_cited_{number}")
        return
    st.markdown(escape_markdown(turn.answer))
    st.caption(escape_markdown(f"Why: {turn.note}"))
    if turn.nearest:
        with st.expander("The nearest passages in the study", icon=":material/search:"):
            for number, quote in enumerate(turn.nearest):
                render_quote(quote, run_id=run_id, key=f"{key}_nearest_{number}")


def _passages(run: Run, reading: Reading | None, key: str) -> list[Passage] | None:
    """The run's passages (from ``reading``, the copy History kept, or the run's study), or
    None after asking for the files (checked by fingerprint)."""
    try:
        passages = api.study_passages(run, reading, store=store())
    except InputError as exc:
        st.error(escape_markdown(str(exc)), icon=":material/fingerprint:")
        return None
    if passages is not None:
        return passages
    names = ", ".join(f.name for f in run.files) or "the run's files"
    st.info(
        escape_markdown(
            f"To talk to these personas, Persona needs the research files of this run "
            f"({names}): they are not in its study any more. Upload them here (nothing is "
            "kept), or add them to the study again."
        ),
        icon=":material/upload_file:",
    )
    files = st.file_uploader(
        "The research files of this run",
        accept_multiple_files=True,
        key=f"chat_files_{key}",
        help="They are checked against the fingerprints History kept, and read on this machine.",
    )
    if not files:
        return None
    try:
        saved = run.options.interviewers  # the files read as the run read them
        return run_passages(run, read_uploads(files, key=f"chat_{key}", interviewers=saved))
    except InputError as exc:
        st.error(escape_markdown(str(exc)), icon=":material/fingerprint:")
        return None


def render_chat(run: Run, *, key: str, reading: Reading | None = None) -> None:
    """A conversation with one persona of ``run``, kept in History."""
    if not run.records:
        return
    with st.container(border=True, key=f"chat_{key}"):  # keeps the chat input in place
        _chat(run, key, reading)


def _chat(run: Run, key: str, reading: Reading | None) -> None:
    st.subheader("Talk to a persona")
    st.caption(
        f"Answers are written by the model {escape_markdown(current_where())} and only from "
        "your research data: each cites the passages it rests on, shown word for word, and is "
        "shown only when those passages hold its numbers, names and most of its words. Where "
        "the data says nothing, the persona says so."
    )
    names = distinct_names(p.name for p in run.personas)
    refusals = [why_not_talk(persona, names[i]) for i, persona in enumerate(run.personas)]
    for refusal in refusals:
        if refusal is not None:
            st.caption(escape_markdown(refusal))
    usable = [i for i, refusal in enumerate(refusals) if refusal is None]
    if not usable:
        st.info("No persona of this run is usable, so there is no one to talk to.")
        return
    index = st.selectbox(
        "Persona",
        usable,
        format_func=lambda i: names[i],
        key=f"chat_persona_{key}",
    )
    if index is None:
        return
    passages = _passages(run, reading, key)
    if passages is None:
        return
    st.session_state[CONTEXT_PASSAGES.format(run.id)] = passages  # quotes open in context
    try:
        history: list[ChatTurn] = store().conversation(run.id, index)
    except PersonaError as exc:
        show_error(exc)
        return
    for number, turn in enumerate(history):
        render_turn(turn, run_id=run.id, key=f"chat_{key}_{index}_{number}")
    if history and st.button("Clear this conversation", key=f"chat_clear_{key}_{index}"):
        store().clear_conversation(run.id, index)
        st.rerun()
    question = st.chat_input(f"Ask {names[index]} a question", key=f"chat_input_{key}")
    if not question:
        return
    with st.chat_message("user"):
        st.markdown(escape_markdown(question))
    with st.chat_message("assistant"):
        try:
            with current_engine() as engine:
                chat = PersonaChat(
                    engine, run.model, run.personas[index], passages, history=history
                )
                with st.spinner("Answering, then checking the answer against its passages…"):
                    turn = chat.ask(question)
                render_answer(
                    turn, run_id=run.id, key=f"chat_{key}_{index}_{len(history)}"
                )  # the same keys as when shown from History
            store().add_turn(run.id, index, turn)
        except PersonaError as exc:
            show_error(exc)
