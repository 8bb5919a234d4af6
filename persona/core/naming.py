"""Names people can tell apart: two personas a model named alike are shown as two.

Tables keyed by persona (coverage, the overlap matrix) and pickers (which persona to talk
to) need one distinct label per persona; a model can give two personas the same name.
"""

from __future__ import annotations

from collections.abc import Iterable


def distinct_names(names: Iterable[str]) -> list[str]:
    """``names`` in order, each repeat numbered: ``Anna Berg``, ``Anna Berg (2)``.

    Names are compared ignoring case and spacing; an empty name becomes ``Persona N`` (its
    position). A number never lands on a name already taken (``Anna (2)`` given by the model).
    """
    given = [" ".join(name.split()) or f"Persona {n}" for n, name in enumerate(names, start=1)]
    taken = {name.casefold() for name in given}
    seen: set[str] = set()
    labels = []
    for name in given:
        label, number = name, 1
        while label.casefold() in seen or (number > 1 and label.casefold() in taken):
            number += 1
            label = f"{name} ({number})"
        seen.add(label.casefold())
        labels.append(label)
    return labels
