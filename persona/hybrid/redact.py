"""Personal data out before anything leaves the machine, and back in when the answer returns.

A :class:`Redactor` swaps file names, people's names and personal data known by its shape
(links, e-mail and street addresses, postcodes, phone, card, bank account and ID numbers,
dates of birth: :mod:`persona.hybrid.patterns`) for stable pseudonyms such as
``[PERSON_1]``: the same value always gets the same pseudonym, so the frontier model can
still tell people apart. Its :attr:`Redactor.mapping` lives only in memory and must never be
logged or stored.

:func:`redactor_for` builds one for a payload: names the research files label as names
and the payload's own participants, the values of identifier columns, and a name pass over
every string of the payload (all found by :mod:`persona.hybrid.names`).
:meth:`Redactor.redact_data` then rewrites every string of the payload;
:meth:`Redactor.segments` and :meth:`Redactor.counts` show what was hidden. Redacting and
restoring never raise anything but a :class:`~persona.core.errors.PersonaError`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from typing import Any, TypeVar

from persona.core.documents import Passage
from persona.core.errors import PersonaError
from persona.core.words import strip_accents
from persona.hybrid.entities import lowercase_vocabulary, word_set
from persona.hybrid.name_words import PARTICLES, UNSPACED, is_generic
from persona.hybrid.names import names_to_hide
from persona.hybrid.patterns import DETECTORS, KINDS, URL_TRAILING, replaced_span

_T = TypeVar("_T")

_AMBIGUOUS = word_set(
    """will may mark bill grace hope rose june april august faith joy pat sue rob art max ray
    dawn summer autumn amber ruby jack frank victor guy chance earl hunter miles young
    white brown black green gray grey long little king page bell hall wood stone rich love"""
)
"""Names that are also everyday words: on their own they are redacted only when capitalised."""

_KIND_NAMES = "|".join(KINDS)
_PSEUDONYM = re.compile(
    rf"[\[<{{(]\s*(?P<kind>{_KIND_NAMES})[\s_-]*(?P<number>\d+)\s*[\]>}})]"
    rf"|(?<!\w)(?P<bare_kind>{_KIND_NAMES})[_-]?(?P<bare_number>\d+)(?!\w)",
    re.IGNORECASE,
)
_ANY_PSEUDONYM = re.compile(rf"(?P<kind>{_KIND_NAMES})[\s_-]*(?P<number>\d+)", re.IGNORECASE)
"""A pseudonym's shape anywhere, even inside a word ("PERSON1Maria"): once "Maria" is
replaced, what stood beside it may read as a pseudonym of its own."""
LITERAL_CHARS = 4
"""Shortest identifier value replaced as written: shorter ones ("7", "P3") are everyday text."""
_LETTERS = re.compile(r"[^\W\d_]+")
_NOT_LETTER_BEFORE = r"(?<![^\W\d_])"
_NOT_LETTER_AFTER = r"(?![^\W\d_])"
"""Name boundaries: digits and underscores separate words too (``01_maria_gonzalez.md``)."""


class RedactionError(PersonaError):
    """Personal data could not be hidden or put back; nothing was sent."""


def _guarded(what: str, action: Callable[[], _T]) -> _T:
    try:
        return action()
    except PersonaError:
        raise
    except Exception as exc:  # any library failure becomes a message with the next step
        raise RedactionError(
            f"Persona could not {what} ({type(exc).__name__}), so nothing was sent. Your "
            "drafts are kept: try again, or refine fewer personas at once."
        ) from exc


class Redactor:
    """Replaces personal data with pseudonyms and puts it back, consistently across calls."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self._originals: dict[str, str] = {}
        self._pseudonyms: dict[tuple[str, str], str] = {}
        self._numbers: dict[str, int] = dict.fromkeys(KINDS, 0)
        self._names: set[str] = set()
        self._exact_case: set[str] = set()
        self._literals: dict[str, str] = {}
        self._name_pattern: re.Pattern[str] | None = None
        self._literal_pattern: re.Pattern[str] | None = None
        self.add_names(names)

    @property
    def mapping(self) -> dict[str, str]:
        """Pseudonym → original value. Keep it in memory; never log or store it."""
        return dict(self._originals)

    def add_names(self, names: Iterable[str], *, exact_case: bool = False) -> None:
        """Redact these full names and, on their own, their first and last names.

        Values with digits ("P3", "Participant 3") and generic labels are skipped. With
        ``exact_case`` only the capitalised and the all-capitals forms are replaced (names
        found by capital letters, names that are also words).
        """
        for raw in names:
            name = " ".join(raw.split()).strip(URL_TRAILING + "(")
            if not name or is_generic(name) or any(c.isdigit() for c in name):
                continue
            words = name.split()
            variants = {name, *(w for w in words if len(words) > 1 and _redacted_alone(w))}
            variants |= {_unaccented(v) for v in variants}
            new = variants - self._names
            self._names |= new
            if exact_case:
                self._exact_case |= new
            else:
                self._exact_case -= variants
        self._name_pattern = self._compile_names()

    def add_files(self, names: Iterable[str]) -> None:
        """Replace these file names, wherever they occur, by ``[FILE_n]``."""
        self._add_literals("FILE", names)

    def add_identifiers(self, values: Iterable[str]) -> None:
        """Replace the values of identifier columns wherever they occur: names as names
        (see :meth:`add_names`), anything else with a digit or an ``@`` of at least
        :data:`LITERAL_CHARS` characters ("CUST-0042", an e-mail) as written."""
        values = [" ".join(v.split()) for v in values]
        self.add_names(v for v in values if not any(c.isdigit() or c == "@" for c in v))
        self._add_literals(
            "ID",
            (
                v
                for v in values
                if len(v) >= LITERAL_CHARS and any(c.isdigit() or c == "@" for c in v)
            ),
        )

    def _add_literals(self, kind: str, values: Iterable[str]) -> None:
        for value in values:
            if value.strip():
                self._literals.setdefault(value, kind)
        ordered = sorted(self._literals, key=lambda n: (-len(n), n))
        self._literal_pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def _compile_names(self) -> re.Pattern[str] | None:
        if not self._names:
            return None
        ordered = sorted(self._names, key=lambda n: (-len(n), n))
        spaced = "|".join(
            _name_regex(n, n in self._exact_case) for n in ordered if not UNSPACED.search(n)
        )
        # Chinese and Japanese run words together: a name there has no word boundary.
        unspaced = "|".join(
            _name_regex(n, n in self._exact_case) for n in ordered if UNSPACED.search(n)
        )
        options = [
            f"{_NOT_LETTER_BEFORE}(?:{spaced}){_NOT_LETTER_AFTER}" if spaced else "",
            unspaced,
        ]
        return re.compile("|".join(o for o in options if o))

    def reserve(self, texts: Iterable[str]) -> None:
        """Never hand out a pseudonym that already occurs in ``texts`` (data that was
        anonymised before, "[PERSON_1]"), so restoring cannot turn it into someone's name."""
        for text in texts:
            for match in _ANY_PSEUDONYM.finditer(text):
                kind = match.group("kind").upper()
                self._numbers[kind] = max(self._numbers[kind], int(match.group("number")))

    def _redact(self, text: str) -> str:
        if self._literal_pattern is not None:
            text = self._literal_pattern.sub(
                lambda m: self._pseudonym(self._literals[m.group()], m.group()), text
            )
        for kind, pattern, _ in DETECTORS:
            text = pattern.sub(partial(self._replace, kind), text)
        if self._name_pattern is not None:
            text = self._name_pattern.sub(
                lambda m: self._pseudonym("PERSON", _one_spelling(m.group())), text
            )
        return text

    def _replace(self, kind: str, match: re.Match[str]) -> str:
        found = match.group()
        span = replaced_span(kind, match)
        if span is None:
            return found
        start, end, value = span
        offset = match.start()
        return found[: start - offset] + self._pseudonym(kind, value) + found[end - offset :]

    def _pseudonym(self, kind: str, value: str) -> str:
        key = (kind, value)
        if key not in self._pseudonyms:
            self._numbers[kind] += 1
            pseudonym = f"[{kind}_{self._numbers[kind]}]"
            self._pseudonyms[key] = pseudonym
            self._originals[pseudonym] = value
        return self._pseudonyms[key]

    def restore(self, text: str) -> str:
        """Put the originals back, also where the model reformatted a pseudonym."""
        return _guarded("put personal data back", lambda: self._restore(text))

    def _restore(self, text: str) -> str:
        def original(match: re.Match[str]) -> str:
            pseudonym = self._canonical(match)
            return self._originals.get(pseudonym, match.group()) if pseudonym else match.group()

        return _PSEUDONYM.sub(original, text)

    @staticmethod
    def _canonical(match: re.Match[str]) -> str:
        kind = match.group("kind") or match.group("bare_kind")
        number = match.group("number") or match.group("bare_number")
        return f"[{kind.upper()}_{int(number)}]"

    def redact_data(self, data: _T) -> _T:
        """A copy of JSON-like ``data`` with every string (keys included) redacted."""
        return _guarded("hide personal data", lambda: _map_strings(data, self._redact))

    def restore_data(self, data: _T) -> _T:
        """A copy of JSON-like ``data`` with every pseudonym in every string restored."""
        return _guarded("put personal data back", lambda: _map_strings(data, self._restore))

    def segments(self, text: str) -> Iterator[tuple[str, bool]]:
        """``text`` cut into pieces, each flagged when it is one of this redactor's pseudonyms."""
        position = 0
        for match in _PSEUDONYM.finditer(text):
            if match.group() not in self._originals:
                continue
            if match.start() > position:
                yield text[position : match.start()], False
            yield match.group(), True
            position = match.end()
        if position < len(text):
            yield text[position:], False

    def counts(self, texts: Iterable[str] | None = None) -> dict[str, int]:
        """Distinct values replaced, by what the UI calls them (``{"names": 2}``): in
        ``texts`` when given (what is actually sent), else in everything redacted so far."""
        if texts is None:
            used = set(self._originals)
        else:
            used = {piece for text in texts for piece, hidden in self.segments(text) if hidden}
        numbers = {kind: 0 for kind in KINDS}
        for pseudonym in used:
            numbers[pseudonym[1:].rsplit("_", 1)[0]] += 1
        return {KINDS[kind][0 if n == 1 else 1]: n for kind, n in numbers.items() if n}


def _unaccented(name: str) -> str:
    """A name as written without accents ("Zoe" for "Zoë"), composed as text is."""
    return unicodedata.normalize("NFC", strip_accents(name))


def _one_spelling(name: str) -> str:
    """A name as one pseudonym stands for it: "佐藤 美咲" and "佐藤美咲" are the same person."""
    return "".join(name.split()) if UNSPACED.search(name) else name


def _name_regex(name: str, exact_case: bool) -> str:
    """Case-insensitive, unless found by its capitals or every word is also an everyday
    word ("Will", "Grace"). Names in unspaced scripts match with or without the space
    ("佐藤 美咲", "佐藤美咲")."""
    words = name.split()
    pattern = (r"\s*" if UNSPACED.search(name) else r"\s+").join(map(re.escape, words))
    if exact_case or all(w.casefold() in _AMBIGUOUS for w in words):
        capitals = r"\s+".join(map(re.escape, name.upper().split()))
        return pattern if capitals == pattern else f"(?:{pattern}|{capitals})"
    return f"(?i:{pattern})"


def _redacted_alone(word: str) -> bool:
    """Whether a word of a full name is replaced on its own too: "Maria" of "Maria Gonzalez",
    not "van" of "Anne-Marie van Dijk"."""
    bare = word.strip(".")
    return (
        len(bare) >= 2
        and all(_LETTERS.fullmatch(piece) for piece in re.split(r"['’-]", bare))
        and bare.casefold() not in PARTICLES
        and not is_generic(bare)
    )


def _map_strings(data: _T, change: Callable[[str], str]) -> _T:
    """A copy of JSON-like ``data`` with ``change`` applied to every string (keys too): the
    same shape (a tuple comes back as a list, as JSON has none)."""
    changed: _T = _changed(data, change)
    return changed


def _changed(data: Any, change: Callable[[str], str]) -> Any:
    if isinstance(data, str):
        return change(data)
    if isinstance(data, list | tuple):
        return [_changed(item, change) for item in data]
    if isinstance(data, dict):
        return {change(str(k)): _changed(v, change) for k, v in data.items()}
    return data


def strings(data: Any) -> Iterator[str]:
    """Every string in JSON-like ``data``, keys included."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, list | tuple):
        for item in data:
            yield from strings(item)
    elif isinstance(data, dict):
        for key, value in data.items():
            yield str(key)
            yield from strings(value)


def redactor_for(
    passages: Iterable[Passage],
    payloads: Sequence[Any],
    language: str | None = None,
    identifiers: Iterable[str] = (),
) -> Redactor:
    """A redactor for ``payloads`` (JSON-like data about to be sent), built from the payloads
    themselves and the research files they come from.

    Names come from speaker labels, name fields and headers in ``passages``
    (:mod:`persona.hybrid.labels`), from every ``participants`` list in the payloads, from
    ``identifiers`` (the values of survey columns marked as identifiers, which never reach a
    model: :attr:`persona.core.documents.Document.identifiers`), and from a pass over every
    string of the payloads in the study's ``language`` (detected from ``passages`` when not
    given; :func:`persona.hybrid.names.find_names`). Every file name of ``passages`` is
    hidden too. A labelled name the study also writes in lower case ("Will", "Rose") is
    replaced only where it is capitalised.
    """

    def build() -> Redactor:
        sources = list(passages)
        texts = [text for payload in payloads for text in strings(payload)]
        vocabulary = lowercase_vocabulary([*(p.text for p in sources), *texts])
        redactor = Redactor()
        redactor.reserve(texts)
        redactor.add_files({p.source for p in sources})
        redactor.add_identifiers(identifiers)
        names = names_to_hide(sources, payloads, texts, vocabulary, language)
        redactor.add_names(names.any_case)
        redactor.add_names(names.capitalised, exact_case=True)
        return redactor

    return _guarded("find the personal data to hide", build)
