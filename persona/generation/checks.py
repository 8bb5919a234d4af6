"""The same checks on every version of a persona: the local draft, Claude's refined version
and a per-field merge of the two.

:func:`check_personas` trusts nothing a model typed: every quote is verified word for word
(:mod:`persona.generation.evidence`), weak support is marked against each claim, who the
persona is based on (``participants``) comes from the passages its quotes were found in, and
degeneracy (:mod:`persona.generation.degenerate`) and distinctness
(:func:`persona.generation.distinct.clashes`) decide ``unusable``, afresh: a refined version
of an unusable draft is usable only if it passes the checks itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from persona.core.documents import Passage
from persona.core.schema import Persona
from persona.generation.degenerate import degeneracy
from persona.generation.distinct import clashes
from persona.generation.evidence import EvidenceIndex, verify
from persona.generation.references import participant_names, weak_support, who_said


def check_personas(
    personas: Sequence[Persona], passages: Sequence[Passage], names: Iterable[str] = ()
) -> list[Persona]:
    """Copies of ``personas``, checked against the research ``passages``.

    ``names`` are real names a persona must not be called by, besides the study's speakers
    and respondents (:func:`~persona.generation.references.participant_names`). Each
    copy has every quote marked verified or not, weak support marked on claim quotes,
    ``participants`` derived from the passages its quotes were found in, and ``unusable``
    holding every reason it cannot be used (empty when it can). A persona that repeats an
    earlier usable one in ``personas`` is unusable too.
    """
    index = EvidenceIndex(passages)
    known = list(dict.fromkeys([*names, *participant_names(passages)]))
    checked: list[Persona] = []
    usable: list[Persona] = []
    for persona in personas:
        copy = persona.model_copy(deep=True)
        found = verify(copy, index)
        copy.quote.weak_support = None
        for _, claim in copy.claims():
            for evidence in claim.evidence:
                evidence.weak_support = weak_support(claim.text, evidence.quote)
        copy.participants = who_said(p for match in found for p in match.passages)
        copy.unusable = degeneracy(copy, known) + clashes(copy, usable)
        if not copy.unusable:
            usable.append(copy)
        checked.append(copy)
    return checked
