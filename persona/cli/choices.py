"""How tables and transcripts are read, as given on the command line (``--columns``,
``--sheet``, ``--interviewer``), for `persona generate` and `persona study add`."""

from __future__ import annotations

import argparse

from persona.ingest.roles import TableChoice, parse_roles

COLUMNS_HELP = (
    '"Q5=answer,ResponseId=id,first_name=private,Age=context,StartDate=ignore" sets the roles '
    "of table columns (private: a name or other identifier, never sent to any model)"
)


def add_choice_arguments(parser: argparse.ArgumentParser, columns_help: str = COLUMNS_HELP) -> None:
    """``--columns``, ``--sheet`` and ``--interviewer`` on ``parser``."""
    parser.add_argument("--columns", metavar="SPEC", help=columns_help)
    parser.add_argument(
        "--sheet",
        action="append",
        metavar="NAME",
        help="read only this sheet of Excel files (repeat for several; default: every sheet)",
    )
    parser.add_argument(
        "--interviewer",
        metavar="NAME",
        help="the speaker whose turns in meeting transcripts (.vtt, .srt, timestamped .txt) "
        'are questions, never quoted; "nobody" quotes every speaker (default: detected, '
        "shown when the files are read)",
    )


def table_choices(args: argparse.Namespace) -> dict[str, TableChoice] | None:
    """The sheets (``--sheet``) and column roles (``--columns``) for every file."""
    roles = parse_roles(args.columns) if args.columns and args.columns != "show" else {}
    if not roles and not args.sheet:
        return None
    return {"*": TableChoice(tuple(args.sheet) if args.sheet else None, roles)}


def interviewer_choices(args: argparse.Namespace) -> dict[str, str] | None:
    """The interviewer of every transcript (``--interviewer``; ``nobody`` for none)."""
    if args.interviewer is None:
        return None
    return {"*": "" if args.interviewer.strip().casefold() == "nobody" else args.interviewer}
