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
from persona.api.chat import PersonaChat, find_persona, why_not_talk
from persona.api.display import quote_context, short_excerpt
from persona.api.runs import find_run, read_again, run_passages
from persona.api.settings import where_engine_runs
from persona.cli.exits import EXIT_OK
from persona.core.errors import InputError
from persona.types import SEARCHED, ChatTurn, Engine, Passage, Quote, QuoteContext, Reading

QUIT = {"exit", "quit", "q", ":q"}
CONTEXT_COMMAND = re.compile(r"^context\s+(P?\d+)$", re.IGNORECASE)
"""``context P12`` (a passage ID) or ``context 2`` (the last answer's second passage)."""


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    chat = sub.add_parser("chat", parents=[common], help="ask a saved persona questions")
    chat.add_argument("run", help="run id (or its first characters), as History shows it")
    chat.add_argument("persona", help="persona number (from 1) or name")
    chat.add_argument(
        "--from",
        dest="sources",
        nargs="+",
        metavar="PATH",
        help="the run's research files (default: from the run's study, or the copy of the "
        "text History kept)",
    )
    chat.add_argument("--ask", help="answer this one question and exit (for scripts)")
    chat.add_argument(
        "--context",
        action="store_true",
        help="under each quoted passage, show its context: the question asked and the turns "
        "before and after (a survey answer: the respondent's other answers). In the "
        "interactive chat, type 'context P12' (or 'context 2') to read a passage in context",
    )
    chat.add_argument("--model", help="model to answer with (default: the run's model)")
    chat.set_defaults(func=cmd_chat)


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
    run = find_run(args.run, store)
    index = find_persona(run, args.persona)
    refusal = why_not_talk(run.personas[index])
    if refusal is not None:  # before the study is read: say so at once
        raise InputError(refusal)
    reading: Reading | None
    if args.sources:
        reading = read_again(run, *args.sources)
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
        return EXIT_OK
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
            return EXIT_OK
        if question.strip().casefold() in QUIT:
            return EXIT_OK
        command = CONTEXT_COMMAND.match(question.strip())
        if command:
            try:
                show_context(chat.passages, wanted_quote(chat, command[1]), out)
            except InputError as exc:
                print(exc, file=sys.stderr)
        elif question.strip():
            store.add_turn(run.id, index, ask(chat, question, out, context=args.context))
