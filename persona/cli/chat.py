"""`persona chat RUN PERSONA`: ask a saved persona questions it answers from the study.

Every passage an answer rests on is printed word for word; ``--context`` prints under each
the question asked and the turns around it (a survey answer: the respondent's other
answers), and in the interactive chat ``context P12`` (or ``context 2``, the answer's second
passage) shows a passage in its context at any time.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from typing import TextIO

from persona import api
from persona.core.context import QuoteContext, quote_context, short_excerpt
from persona.core.conversation import ChatTurn, Quote
from persona.core.documents import Passage
from persona.core.errors import InputError
from persona.core.records import Run
from persona.core.settings import where_engine_runs
from persona.engines.base import Engine
from persona.generation.chat import SEARCHED, PersonaChat, find_persona
from persona.generation.research import run_passages
from persona.history.store import Store
from persona.ingest import Reading

QUIT = {"exit", "quit", "q", ":q"}
CONTEXT_COMMAND = re.compile(r"^context\s+(P?\d+)$", re.IGNORECASE)
"""``context P12`` (a passage ID) or ``context 2`` (the last answer's second passage)."""


def find_run(store: Store, wanted: str) -> Run:
    """A saved run by its id, or by the start of its id when only one run starts so."""
    matches = [s.id for s in store.list(limit=None) if s.id.startswith(wanted.strip())]
    if wanted.strip() and len(matches) == 1:
        return store.get(matches[0])
    if len(matches) > 1:
        raise InputError(f"Several runs start with {wanted!r}: give more of the run id.")
    raise InputError(f"No saved run with id {wanted!r}: `persona history` lists them.")


def show_quote(quote: Quote, out: TextIO) -> None:
    who = f" ({quote.participant})" if quote.participant else ""
    print(f"  [{quote.id}] {quote.where}{who}:", file=out)
    print(f"    “{quote.text}”", file=out)


def context_of(passages: Sequence[Passage], quote: Quote) -> QuoteContext | None:
    return quote_context(passages, quote.text, quote.source, quote.locator)


def show_excerpt(passages: Sequence[Passage], quote: Quote, out: TextIO) -> None:
    """A short excerpt around ``quote``: the question asked and the turns around it."""
    found = context_of(passages, quote)
    if found is None:
        print("    (not found in the research text, so no context to show)", file=out)
        return
    print("    In context:", file=out)
    for label, text, focus in short_excerpt(found):
        print(f"    {'»' if focus else ' '} {label}: {text}", file=out)


def show_context(passages: Sequence[Passage], quote: Quote, out: TextIO) -> None:
    """``quote``'s passage in full context, the passage itself marked with ``»``."""
    found = context_of(passages, quote)
    if found is None:
        print(f"[{quote.id}] is not in the research text, so it has no context.", file=out)
        return
    print(f"[{quote.id}] in context — {found.source}, {found.locator}", file=out)
    if found.question:
        print(f"  Question asked: {_flat(found.question)}", file=out)
    if found.kind == "survey":
        print("  This respondent's answers:", file=out)
    for line in found.lines:
        mark = "»" if line.focus else " "
        print(f"  {mark} {_flat(line.label)}: {_flat(line.passage.text)}", file=out)
    if found.about:
        print(f"  About the respondent: {_flat(found.about)}", file=out)


def _flat(text: str) -> str:
    return " ".join(text.split())


def show_turn(turn: ChatTurn, out: TextIO, *, passages: Sequence[Passage] | None = None) -> None:
    """A turn: the answer and its passages, or the decline, why, and the nearest passages
    (each with a short excerpt of its context when ``passages`` are given)."""
    if turn.searched:
        print(f"({SEARCHED}: “{turn.searched}”)", file=out)
    print(turn.answer, file=out)
    if turn.supported:
        print("Sources, word for word:", file=out)
        quotes = turn.cited
    else:
        print(f"(Why: {turn.note})", file=out)
        if turn.nearest:
            print("Nearest passages in the study:", file=out)
        quotes = turn.nearest
    for quote in quotes:
        show_quote(quote, out)
        if passages is not None:
            show_excerpt(passages, quote, out)


def ask(chat: PersonaChat, question: str, out: TextIO, *, context: bool = False) -> ChatTurn:
    """Answer one question on ``out``; returns the turn."""
    turn = chat.ask(question)
    show_turn(turn, out, passages=chat.passages if context else None)
    return turn


def wanted_quote(chat: PersonaChat, wanted: str) -> Quote:
    """The passage ``context`` asks for: an ID (``P12``), or a number of the last answer's
    passages (``2``)."""
    shown = (chat.history[-1].cited or chat.history[-1].nearest) if chat.history else []
    if wanted.isdigit():
        if 1 <= int(wanted) <= len(shown):
            return shown[int(wanted) - 1]
        showed = f"showed only {len(shown)} passages" if shown else "has no passages yet"
        raise InputError(
            f"There is no passage {wanted}: the chat {showed}; use an ID such as 'context P12'."
        )
    passage = next((p for p in chat.passages if p.id.casefold() == wanted.casefold()), None)
    if passage is None:
        raise InputError(f"There is no passage {wanted} in this study.")
    return Quote.of(passage)


def cmd_chat(args: argparse.Namespace, engine: Engine) -> int:
    """Answer one question (``--ask``) or talk until the user leaves."""
    store = api.open_history()
    run = find_run(store, args.run)
    index = find_persona(run, args.persona)
    saved = run.options.get("interviewers")  # the files read as the run read them
    reading: Reading | None
    if args.sources:
        reading = api.read(*args.sources, interviewers=saved)
    else:  # the copy History kept, else the run's files in its study
        reading = None if run.research_text else api.run_reading(run, store=store)
    passages = run_passages(run, reading)
    persona = run.personas[index]
    chat = PersonaChat(
        engine,
        args.model or run.model,
        persona,
        passages,
        history=store.conversation(run.id, index),
    )
    out = sys.stdout
    where = where_engine_runs(args.settings)
    print(f"Answers are written by {chat.model} {where}, from the study only.", file=sys.stderr)
    if args.ask:
        store.add_turn(run.id, index, ask(chat, args.ask, out, context=args.context))
        return 0
    print(
        f"Talking to {persona.name} ({persona.role}). They answer only from the study. "
        "Type a question; 'context P12' (or 'context 2') shows a passage in its context; "
        "'exit' or Ctrl-D ends.",
        file=sys.stderr,
    )
    while True:
        try:
            question = input(f"\nYou → {persona.name}: ")
        except EOFError:
            print(file=sys.stderr)
            return 0
        if question.strip().casefold() in QUIT:
            return 0
        command = CONTEXT_COMMAND.match(question.strip())
        if command:
            try:
                show_context(chat.passages, wanted_quote(chat, command[1]), out)
            except InputError as exc:
                print(exc, file=sys.stderr)
        elif question.strip():
            store.add_turn(run.id, index, ask(chat, question, out, context=args.context))
