"""`persona chat RUN PERSONA`: ask a saved persona questions it answers from the study."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from persona import api
from persona.core.conversation import ChatTurn, Quote
from persona.core.errors import InputError
from persona.core.records import Run
from persona.engines.base import Engine
from persona.generation.chat import PersonaChat, find_persona
from persona.generation.research import run_passages
from persona.history.store import Store

QUIT = {"exit", "quit", "q", ":q"}


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


def show_turn(turn: ChatTurn, out: TextIO, *, streamed: bool) -> None:
    """The rest of a turn after its streamed text: the decline, and the passages."""
    if not turn.supported:
        if streamed:
            print("\n(That answer is not shown: " + turn.note + ")", file=out)
        print(turn.answer, file=out)
        if turn.nearest:
            print("Nearest passages in the study:", file=out)
        for quote in turn.nearest:
            show_quote(quote, out)
        return
    if not streamed:
        print(turn.answer, file=out, end="")
    print("\nSources, word for word:", file=out)
    for quote in turn.cited:
        show_quote(quote, out)


def ask(chat: PersonaChat, question: str, out: TextIO) -> ChatTurn:
    """Stream one answer to ``out``; returns the finished turn."""
    streamed = False
    for piece in chat.ask(question):
        if isinstance(piece, ChatTurn):
            show_turn(piece, out, streamed=streamed)
            return piece
        out.write(piece)
        out.flush()
        streamed = True
    raise InputError("The chat ended without an answer.")  # ask() always ends with a turn


def cmd_chat(args: argparse.Namespace, engine: Engine) -> int:
    """Answer one question (``--ask``) or talk until the user leaves."""
    store = api.open_history()
    run = find_run(store, args.run)
    index = find_persona(run, args.persona)
    reading = api.read(*args.sources) if args.sources else None
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
    if args.ask:
        store.add_turn(run.id, index, ask(chat, args.ask, out))
        return 0
    print(
        f"Talking to {persona.name} ({persona.role}). They answer only from the study. "
        "Type a question; 'exit' or Ctrl-D ends.",
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
        if question.strip():
            store.add_turn(run.id, index, ask(chat, question, out))
