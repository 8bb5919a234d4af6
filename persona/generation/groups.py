"""Findings shared out among the persona calls, so that each call works from its own group.

When a small context makes Persona ask for one or two personas per call, giving every call
all the findings sends them once per call and invites the model to write the same person
again. Instead the findings are split into one group per call, participant by participant:
participants whose findings share their words go together (a persona stands for "a different
group of participants"), the groups stay about even (a persona written from two findings is
thin, and like the others), and every group fits one call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from persona.core.words import fold, terms
from persona.generation.references import Finding

Cost = Callable[[Sequence[Finding]], int]
"""Tokens a list of findings takes in a prompt."""


def share_out(
    findings: Sequence[Finding], groups: int, room: int, cost: Cost
) -> list[list[Finding]]:
    """``findings`` in ``groups`` non-empty groups of at most ``room`` tokens each (by
    ``cost``), every finding in exactly one group, each group in the findings' order.

    Needs at least ``groups`` findings, and their total cost at most ``groups`` times
    ``room`` less one finding's cost per group (the slack that lets a participant's findings
    be split when they do not fit one group whole).
    """
    if groups < 1 or len(findings) < groups:
        raise ValueError(f"cannot share {len(findings)} findings out into {groups} groups")
    order = {id(f): n for n, f in enumerate(findings)}
    units = _by_participant(findings)
    parts: list[list[Finding]] = [[] for _ in range(groups)]
    vocab: list[set[str]] = [set() for _ in range(groups)]
    for seed, unit in enumerate(_seeds(units, groups)):
        units = [u for u in units if u is not unit]
        fit = next(k for k in range(len(unit), -1, -1) if k == 0 or cost(unit[:k]) <= room)
        parts[seed], vocab[seed] = unit[:fit], _words(unit[:fit])
        if fit < len(unit):
            units.append(unit[fit:])
    fair = -(-len(findings) // groups)
    for unit in units:
        fits = [n for n in range(groups) if cost([*parts[n], *unit]) <= room]
        # keep the shares even: a group the unit leaves within the fair share, else the smallest
        even = [n for n in fits if len(parts[n]) + len(unit) <= fair]
        smallest = min((len(parts[n]) for n in fits), default=0)
        fits = even or [n for n in fits if len(parts[n]) == smallest]
        if fits:
            best = max(fits, key=lambda n: (_overlap(vocab[n], _words(unit)), -len(parts[n])))
            parts[best] += unit
            vocab[best] |= _words(unit)
            continue
        for finding in unit:  # too many to stay together: where there is room
            best = min(range(groups), key=lambda n: cost(parts[n]))
            parts[best].append(finding)
            vocab[best] |= _words([finding])
    while any(not part for part in parts):  # fewer participants than groups: split the largest
        empty = parts.index([])
        largest = max(parts, key=len)
        half = len(largest) // 2
        parts[empty], largest[half:] = largest[half:], []
    return [sorted(part, key=lambda f: order[id(f)]) for part in parts]


def _by_participant(findings: Sequence[Finding]) -> list[list[Finding]]:
    """Each participant's findings (a finding without one is its own unit), largest first."""
    units: dict[str, list[Finding]] = {}
    for n, finding in enumerate(findings):
        key = fold(finding.participant.strip()) or f"\0{n}"
        units.setdefault(key, []).append(finding)
    return sorted(units.values(), key=len, reverse=True)


def _seeds(units: list[list[Finding]], groups: int) -> list[list[Finding]]:
    """The largest unit, then each time the unit least like those chosen (farthest first)."""
    chosen = units[:1]
    while len(chosen) < min(groups, len(units)):
        rest = [u for u in units if not any(u is c for c in chosen)]
        chosen.append(
            min(rest, key=lambda u: (max(_overlap(_words(u), _words(c)) for c in chosen), -len(u)))
        )
    return chosen


def _words(findings: Sequence[Finding]) -> set[str]:
    return {w for f in findings for w in terms(f.statement) if len(w) > 3 or not w.isascii()}


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0
