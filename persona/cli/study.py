"""`persona study`: studies kept on this machine — add files, list, show, remove, search.

A study holds copies of its research files (private to you, in Persona's data folder), the
choices they are read with, and its runs; `persona generate --study NAME`, `persona chat`,
`persona compare --study NAME` and `persona resume` read its files without uploading again.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from persona import api
from persona.api.display import format_bytes
from persona.cli.chat import show_excerpt
from persona.cli.choices import add_choice_arguments, interviewer_choices, table_choices
from persona.cli.exits import EXIT_FAIL, EXIT_OK
from persona.cli.prompt import ask_yes
from persona.cli.reading import report_reading
from persona.cli.transcribe import transcribe_sources
from persona.core.errors import InputError
from persona.types import Quote, SearchHit, Study


def cmd_add(args: argparse.Namespace) -> int:
    """Transcribe the recordings among the files (once), then add every file to the study,
    printing what was added and what was not."""
    if args.columns == "show":
        raise InputError(
            "To see a table's columns, run `persona generate --from FILE --columns show`; "
            'here, --columns sets roles ("Q5=answer,ResponseId=id").'
        )
    transcribe_sources(args.files, args.yes)
    added = api.add_to_study(
        args.name,
        args.files,
        replace=args.replace,
        choices=table_choices(args),
        interviewers=interviewer_choices(args),
    )
    print(f"Study {added.study!r}:", file=sys.stderr)
    report_reading(added.reading, sys.stderr)
    done = [f"{len(added.added)} added"]
    if added.replaced:
        done.append(f"{len(added.replaced)} replaced")
    if added.unchanged:
        done.append(f"{len(added.unchanged)} already there")
    if added.failed:
        done.append(f"{len(added.failed)} not added")
    print(" · ".join(done), file=sys.stderr)
    if not added.changed and added.failed and not added.unchanged:
        raise InputError("None of the files could be added; see the reasons above.")
    return EXIT_FAIL if added.failed else EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    listed = api.studies()
    if not listed:
        print("No studies yet. Add files to one: persona study add NAME FILES...", file=sys.stderr)
        return EXIT_OK
    for study in listed:
        print(
            f"{study.name}\t{_count(study.files, 'file')}\t{_count(study.passages, 'passage')}"
            f"\t{_count(study.runs, 'run')}\tlatest {study.latest:%Y-%m-%d %H:%M}"
        )
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    print_study(api.study(args.name), sys.stdout)
    return EXIT_OK


def print_study(study: Study, out: TextIO) -> None:
    """The study's files (kind, size, passages) and runs, newest first."""
    print(f"{study.name} · created {study.created_at:%Y-%m-%d}", file=out)
    print(
        f"Files ({len(study.files)}, {format_bytes(study.size_bytes)}, "
        f"{_count(study.passages, 'passage')} to quote):",
        file=out,
    )
    for file in study.files:
        print(
            f"  {file.name}\t{file.kind}\t{format_bytes(file.size_bytes)}\t"
            f"{_count(file.quotable, 'passage')}",
            file=out,
        )
    if not study.files:
        print("  none yet: persona study add", repr(study.name), "FILES...", file=out)
    print(f"Runs ({len(study.runs)}):", file=out)
    for run in study.runs:
        print(f"  {run.id}\t{run.title}\t{run.model}\t{run.status}\t{run.personas_text}", file=out)


def cmd_remove(args: argparse.Namespace) -> int:
    study = api.study(args.name)
    if args.files:
        missing = [f for f in args.files if study.file(f) is None]
        if missing:  # before asking anything
            api.remove_from_study(study.name, missing)
        what = f"{_count(len(args.files), 'file')} from the study {study.name!r}"
    else:
        what = (
            f"the study {study.name!r} and the copies of its {_count(len(study.files), 'file')}"
            f" (its {_count(len(study.runs), 'run')} stay in History)"
        )
    if not args.yes and not ask_yes(f"Delete {what}? [y/N] "):
        print("Nothing was deleted.", file=sys.stderr)
        return EXIT_OK
    if args.files:
        removed = api.remove_from_study(study.name, args.files)
        print(f"Removed {', '.join(removed)} from {study.name!r}.", file=sys.stderr)
    else:
        runs = api.delete_study(study.name)
        kept = f"; its {_count(runs, 'run')} stay in History" if runs else ""
        print(f"Deleted the study {study.name!r}{kept}.", file=sys.stderr)
    return EXIT_OK


def cmd_search(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise InputError(f"--limit must be 1 or more, not {args.limit}.")
    hits = api.search_study(args.name, args.query, args.limit)
    if not hits:
        print(f"Nothing in the study matches {args.query!r}.", file=sys.stderr)
        return EXIT_OK
    everything = api.study_reading(args.name).passages if args.context else []
    by_id = {p.id: p for p in everything}
    for hit in hits:
        print_hit(hit, sys.stdout)
        if hit.passage_id in by_id:
            show_excerpt(everything, Quote.of(by_id[hit.passage_id]), sys.stdout)
    more = "" if args.context else " Add --context to read each with the turns around it."
    print(f"{_count(len(hits), 'passage')}.{more}", file=sys.stderr)
    return EXIT_OK


def print_hit(hit: SearchHit, out: TextIO) -> None:
    """``[P12] file, locator (participant)`` then the snippet, matches in ``[...]``."""
    who = f" ({hit.participant})" if hit.participant else ""
    role = "" if hit.citable else " — context, not quoted"
    print(f"[{hit.passage_id}] {hit.file}, {hit.locator}{who}{role}", file=out)
    text = "".join(f"[{p.text}]" if p.matched else p.text for p in hit.snippet)
    print(f"    {' '.join(text.split())}", file=out)


def cmd_rename(args: argparse.Namespace) -> int:
    study = api.rename_study(args.name, args.new)
    print(f"Renamed to {study.name!r} ({_count(len(study.runs), 'run')}).", file=sys.stderr)
    return EXIT_OK


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


COMMANDS = {
    "add": cmd_add,
    "list": cmd_list,
    "show": cmd_show,
    "remove": cmd_remove,
    "search": cmd_search,
    "rename": cmd_rename,
}


def cmd_study(args: argparse.Namespace) -> int:
    """Run ``persona study ACTION``."""
    return COMMANDS[args.action](args)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``study`` command and its actions."""
    study = sub.add_parser(
        "study", help="studies kept on this machine: add files, list, show, remove, search"
    )
    actions = study.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="copy files into a study (created if needed)")
    add.add_argument("name", metavar="NAME", help="the study's name")
    add.add_argument("files", nargs="+", metavar="FILE", help="files and folders to add")
    add.add_argument(
        "--replace",
        action="store_true",
        help="replace a file of the same name whose content changed (default: keep the old one)",
    )
    add.add_argument("--yes", action="store_true", help="transcribe long recordings without asking")
    add_choice_arguments(add)
    actions.add_parser("list", help="every study: files, passages, runs")
    show = actions.add_parser("show", help="a study's files, passages and runs")
    show.add_argument("name", metavar="NAME")
    remove = actions.add_parser(
        "remove", help="remove files from a study, or the whole study (deletes the copies)"
    )
    remove.add_argument("name", metavar="NAME")
    remove.add_argument(
        "files", nargs="*", metavar="FILE", help="files to remove (none: the whole study)"
    )
    remove.add_argument("--yes", action="store_true", help="delete without asking")
    search = actions.add_parser("search", help="find passages in a study's files")
    search.add_argument("name", metavar="NAME")
    search.add_argument(
        "query",
        metavar="QUERY",
        help='words (accents and capitals ignored); "a phrase", word*, OR, NOT',
    )
    search.add_argument("--limit", type=int, default=20, help="at most this many hits (20)")
    search.add_argument(
        "--context",
        action="store_true",
        help="under each hit, the question asked and the turns around it (a survey answer: "
        "the respondent's other answers)",
    )
    rename = actions.add_parser("rename", help="rename a study (files and runs go with it)")
    rename.add_argument("name", metavar="NAME")
    rename.add_argument("new", metavar="NEW_NAME")
    study.set_defaults(func=cmd_study, needs_engine=False)  # files on this machine only
