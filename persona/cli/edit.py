"""`persona edit RUN PERSONA`: change a saved persona's wording or citations by hand.

Fields are given as options (``--name``, ``--role``, ``--age``, ``--bio``); a statement is
reworded with ``--claim SECTION N TEXT`` and its citations set with ``--cite SECTION N IDS``
(passage IDs of the study, comma-separated; empty for none). Quotes are never typed: each
cited passage is quoted word for word. The edit is saved in History as a new version and
its changes and verdict are printed.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from persona import api
from persona.api.chat import find_persona
from persona.api.edits import unchanged_claims
from persona.api.runs import find_run, read_again
from persona.api.verdicts import persona_status
from persona.cli.exits import EXIT_OK
from persona.core.errors import InputError
from persona.types import CLAIM_SECTIONS, ClaimEdit, Engine, FieldChange, PersonaEdit


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    edit = sub.add_parser(
        "edit", parents=[common], help="edit a saved persona by hand (saved as a new version)"
    )
    edit.add_argument("run", help="run id (or its first characters), as History shows it")
    edit.add_argument("persona", help="persona number (from 1) or name")
    edit.add_argument("--name")
    edit.add_argument("--role")
    edit.add_argument("--age")
    edit.add_argument("--bio")
    edit.add_argument(
        "--claim",
        nargs=3,
        action="append",
        default=[],
        metavar=("SECTION", "N", "TEXT"),
        help=f"reword statement N (from 1) of SECTION ({', '.join(CLAIM_SECTIONS)})",
    )
    edit.add_argument(
        "--cite",
        nargs=3,
        action="append",
        default=[],
        metavar=("SECTION", "N", "IDS"),
        help="set the passages statement N of SECTION cites: passage IDs such as P12,P14 "
        "(as `persona chat RUN N --context` shows them); '' for none. Needs the run's files: "
        "from its study, --from, or the copy of the text History kept",
    )
    edit.add_argument(
        "--from",
        dest="sources",
        nargs="+",
        metavar="PATH",
        help="the run's research files, to cite passages (checked against their fingerprints; "
        "default: from the run's study)",
    )
    edit.set_defaults(func=cmd_edit)


def _statement(claims: dict[str, list[ClaimEdit]], section: str, number: str) -> int:
    if section not in claims:
        raise InputError(f"Unknown section {section!r}: use {', '.join(CLAIM_SECTIONS)}.")
    count = len(claims[section])
    if not number.isdigit() or not 1 <= int(number) <= count:
        raise InputError(f"{section} has statements 1 to {count}; {number!r} is not one of them.")
    return int(number) - 1


def edit_from_args(args: argparse.Namespace, claims: dict[str, list[ClaimEdit]]) -> PersonaEdit:
    """The edit the options ask for; ``claims`` are the persona's statements unchanged."""
    changed: set[str] = set()
    for section, number, text in args.claim:
        index = _statement(claims, section, number)
        claims[section][index] = ClaimEdit(text, claims[section][index].cites)
        changed.add(section)
    for section, number, ids in args.cite:
        index = _statement(claims, section, number)
        cites = [i for i in ids.replace(",", " ").split() if i]
        claims[section][index] = ClaimEdit(claims[section][index].text, cites)
        changed.add(section)
    return PersonaEdit(
        name=args.name,
        age=args.age,
        role=args.role,
        bio=args.bio,
        claims={section: claims[section] for section in changed},
    )


def print_changes(changes: list[FieldChange], out: TextIO) -> None:
    for change in changes:
        if change.status != "unchanged":
            print(f"  {change.label} ({change.status}):", file=out)
            print(f"    before: {change.before or '—'}", file=out)
            print(f"    after:  {change.after or '—'}", file=out)


def cmd_edit(args: argparse.Namespace, engine: Engine) -> int:
    """Save the edit as a new version, then print what changed and the verdict."""
    store = api.open_history()
    run = find_run(args.run, store)
    index = find_persona(run, args.persona)
    change = edit_from_args(args, unchanged_claims(run.personas[index]))
    reading = read_again(run, *args.sources) if args.sources else None
    edited = api.edit(run, index, change, reading=reading, store=store)
    out = sys.stdout
    print(f"Saved a new version of {edited.persona.name} (earlier versions are kept).", file=out)
    print_changes(edited.changes, out)
    print(f"Verdict: {persona_status(edited.persona).text}", file=out)
    if not edited.checked_against_data:
        print(
            "Quotes were not checked again (the study's text is not at hand); each kept its "
            "earlier verdict. Add the run's files to its study (`persona study add`), or give "
            "them with --from, to check them.",
            file=out,
        )
    return EXIT_OK
