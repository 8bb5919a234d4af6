"""Does a chat answer rest on the passages it cites? A cheap lexical check, no model call.

An answer is grounded in the passages it cites when

- every **number** in it occurs in them: digits, or a number word of the answer's language
  ("forty-five", "fünfundvierzig", "cuarenta y cinco" are 45, like "45");
- every **name, place and organisation** in it occurs in them: a word written with a capital
  letter that does not start a sentence ("Joaquim", "Siemens", "Porto"), except the persona's
  own name and little words such as "I" or "Sie". German writes every noun with a capital, so
  there a capitalised word the study itself uses ("Brot") counts as an ordinary word; so does,
  in Japanese, a katakana word the study uses (loanwords such as "アプリ"), while one the study
  never uses ("シーメンス") must be in the passages cited;
- **most of its content words** occur in them (at least :data:`MIN_WORD_SHARE`): words without
  the language's little words, compared by stem in the study's language. An answer in another
  language than the study's cannot be compared word by word; only its numbers and names are.

Who said a passage (its speaker label) counts as part of it. :func:`ground` gives the verdict
and, for an answer that fails, the reason people are shown.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from persona.chat.retrieval import Retriever, stop_words
from persona.core.documents import Passage
from persona.core.words import fold, words

MIN_WORD_SHARE = 0.6
"""Share of an answer's content words its cited passages must hold: most of them."""
SHOWN_MISSING = 6
"""Numbers and names a reason lists at most."""

_UNIT_WORDS = {
    # 2 to 19; "one" is left out in every language: it is also "a", "someone", "the one".
    "English": (
        "two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen"
    ),
    "German": (
        "zwei drei vier fünf sechs sieben acht neun zehn elf zwölf dreizehn vierzehn fünfzehn "
        "sechzehn siebzehn achtzehn neunzehn"
    ),
    "Spanish": (
        "dos tres cuatro cinco seis siete ocho nueve diez once doce trece catorce quince "
        "dieciséis diecisiete dieciocho diecinueve"
    ),
    "French": (
        "deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize "
        "dix-sept dix-huit dix-neuf"
    ),
    "Italian": (
        "due tre quattro cinque sei sette otto nove dieci undici dodici tredici quattordici "
        "quindici sedici diciassette diciotto diciannove"
    ),
    "Portuguese": (
        "dois três quatro cinco seis sete oito nove dez onze doze treze catorze quinze "
        "dezasseis dezassete dezoito dezanove"
    ),
    "Dutch": (
        "twee drie vier vijf zes zeven acht negen tien elf twaalf dertien veertien vijftien "
        "zestien zeventien achttien negentien"
    ),
}
"""Number words from 2 to 19, in order, by language."""
_TENS_WORDS = {
    "English": "twenty thirty forty fifty sixty seventy eighty ninety",
    "German": "zwanzig dreißig vierzig fünfzig sechzig siebzig achtzig neunzig",
    "Spanish": "veinte treinta cuarenta cincuenta sesenta setenta ochenta noventa",
    "French": "vingt trente quarante cinquante soixante soixante-dix quatre-vingt quatre-vingt-dix",
    "Italian": "venti trenta quaranta cinquanta sessanta settanta ottanta novanta",
    "Portuguese": "vinte trinta quarenta cinquenta sessenta setenta oitenta noventa",
    "Dutch": "twintig dertig veertig vijftig zestig zeventig tachtig negentig",
}
"""20, 30 … 90."""
_UNITS = {language: tuple(w.split()) for language, w in _UNIT_WORDS.items()}
_TENS = {language: tuple(w.split()) for language, w in _TENS_WORDS.items()}
_SCALES: dict[str, dict[str, int]] = {
    "English": {"hundred": 100, "thousand": 1000, "dozen": 12, "twice": 2},
    "German": {"hundert": 100, "tausend": 1000, "dutzend": 12, "zweimal": 2},
    "Spanish": {"cien": 100, "ciento": 100, "mil": 1000, "docena": 12},
    "French": {"cent": 100, "mille": 1000, "douzaine": 12},
    "Italian": {"cento": 100, "mille": 1000, "dozzina": 12},
    "Portuguese": {"cem": 100, "cento": 100, "mil": 1000, "dúzia": 12},
    "Dutch": {"honderd": 100, "duizend": 1000, "dozijn": 12},
}
_JOINERS = {"y", "e", "et", "and", "und", "en"}
"""Words between tens and units: "cuarenta y cinco", "vingt et un"."""

_DIGITS = re.compile(r"\d+(?:[.,]\d{3})+(?![.,]?\d)|\d+")
_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
"""A word, with the apostrophes inside it ("O'Brien", "I'm", "Anne's")."""
_ENDINGS = re.compile(r"['’](?:s|m|ve|ll|d|re)\b", re.IGNORECASE)
"""A possessive's or a contraction's ending ("Anne's", "I'm", "I'll")."""
_SENTENCE_END = re.compile(r"[.!?…:;。！？「『“\"«»()\[\]\n]|--|—|–")
_KATAKANA = re.compile(r"[\u30a0-\u30ff]{2,}")
_NOUNS_CAPITALISED = {"German"}
"""Languages that write every noun with a capital letter."""


@dataclass(frozen=True)
class Grounding:
    """How far an answer rests on the passages it cites."""

    numbers: tuple[str, ...]
    """Numbers of the answer that the passages do not hold."""
    names: tuple[str, ...]
    """Names, places and organisations of the answer that the passages do not hold."""
    found: int
    """Content words of the answer that the passages hold…"""
    total: int
    """…of this many."""
    compared: bool = True
    """Whether the answer's words were compared (not when it is in another language)."""

    @property
    def share(self) -> float:
        if not self.compared:
            return 1.0
        return self.found / self.total if self.total else 0.0

    @property
    def grounded(self) -> bool:
        return not self.numbers and not self.names and self.share >= MIN_WORD_SHARE

    @property
    def reason(self) -> str:
        """Why the answer is not shown, for people (empty when it is grounded)."""
        if self.grounded:
            return ""
        missing = [*self.numbers, *self.names]
        if missing:
            listed = ", ".join(f"“{item[:40]}”" for item in missing[:SHOWN_MISSING])
            left = len(missing) - SHOWN_MISSING
            more = f" and {left} more" if left > 0 else ""
            return (
                f"The answer mentions {listed}{more}, which the passages it cites do not, "
                "so it is not shown."
            )
        if not self.total:
            return "The answer says nothing its passages could confirm, so it is not shown."
        return (
            f"Only {self.found} of the answer's {self.total} words are in the passages it "
            "cites, so it is not shown."
        )


def ground(
    answer: str,
    cited: Sequence[Passage],
    retriever: Retriever,
    *,
    language: str | None,
    speaker: str = "",
) -> Grounding:
    """Check ``answer``, written in ``language``, against the ``cited`` passages of the study
    ``retriever`` indexes; ``speaker`` is the persona's own name (it may say it)."""
    study = retriever.language
    spoken = language or study
    sources = [f"{p.participant} {p.text}" for p in cited]
    held_numbers = {str(int(n)) for text in sources for n in re.findall(r"\d+", _nfkc(text))}
    held_numbers |= {n for text in sources for n in numbers(text, study)}
    held_words = {w for text in sources for w in words(text)}
    held_text = fold(" ".join(sources))
    held_tokens = {t for text in sources for t in retriever.tokens(text)}
    own = set(words(speaker))

    def held(name: str) -> bool:
        if _KATAKANA.fullmatch(name):
            return fold(name) in held_text
        tokens = retriever.tokens(name)
        return fold(name) in held_words | own or (bool(tokens) and set(tokens) <= held_tokens)

    missing_numbers = [n for n in _ordered(numbers(answer, spoken)) if n not in held_numbers]
    missing_names = [
        name
        for name in _ordered(names(answer, spoken))
        if not held(name) and not _common(name, spoken, retriever)
    ]
    found = total = 0
    compared = spoken == study
    if compared:
        skip = set(retriever.tokens(speaker))
        said = _ENDINGS.sub("", answer)  # "I'm" is "I", a little word
        content = [
            t for t in dict.fromkeys(retriever.tokens(said)) if t not in skip and not t.isdigit()
        ]  # numbers are checked on their own
        total = len(content)
        found = sum(t in held_tokens for t in content)
    return Grounding(tuple(missing_numbers), tuple(missing_names), found, total, compared)


def _ordered(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _plain(word: str) -> str:
    """``word`` without accents ("trés" is "tres")."""
    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))


def _common(name: str, language: str, retriever: Retriever) -> bool:
    """Whether a capitalised (or katakana) word is an ordinary word the study uses: only in
    languages that write ordinary words so."""
    if language in _NOUNS_CAPITALISED or _KATAKANA.fullmatch(name):
        return retriever.uses(name)
    return False


def numbers(text: str, language: str | None) -> list[str]:
    """The numbers ``text`` states, as digits: ``"45"`` for "45", "forty-five" or
    "fünfundvierzig", ``"200"`` for "two hundred"; thousands separators are read ("1,000" is
    1000). Number words are read in ``language`` (none when Persona has no table for it)."""
    text = _nfkc(text)
    found = [str(int(re.sub(r"\D", "", m.group()))) for m in _DIGITS.finditer(text)]
    values = _number_words(language)
    if not values:
        return found
    tokens = [fold(token) for token in re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)*", text)]
    tokens = [part for token in tokens for part in _hyphenated(token, values)]
    position = 0
    while position < len(tokens):
        value = _word_value(tokens[position], values)
        if value is None:
            position += 1
            continue
        step = 1
        if 20 <= value < 100 and value % 10 == 0:  # tens, maybe with a unit: "forty five"
            for gap in (1, 2):
                between = tokens[position + 1 : position + gap]
                unit = _word_value(_at(tokens, position + gap), values)
                if unit is not None and unit < 10 and all(w in _JOINERS for w in between):
                    value, step = value + unit, gap + 1
                    break
        scale = _word_value(_at(tokens, position + step), values)
        if scale in (100, 1000) and value < scale:  # "two hundred"
            value, step = value * scale, step + 1
        found.append(str(value))
        position += step
    return found


def _at(tokens: Sequence[str], position: int) -> str:
    return tokens[position] if position < len(tokens) else ""


def _number_words(language: str | None) -> dict[str, int]:
    """Number word → value in ``language``: plain, and without accents."""
    units = _UNITS.get(language or "", ())
    tens = _TENS.get(language or "", ())
    values = {word: number for number, word in enumerate(units, start=2)}
    values |= dict(zip(tens, range(20, 100, 10), strict=False))
    values |= _SCALES.get(language or "", {})
    return values | {_plain(word): number for word, number in values.items()}


def _hyphenated(token: str, values: dict[str, int]) -> list[str]:
    """A hyphenated token as one number word when it is one ("dix-sept"), else its parts."""
    return [token] if token in values or "-" not in token else token.split("-")


def _word_value(word: str, values: dict[str, int]) -> int | None:
    """The number a word states: a number word, or one written as one word of a unit and tens
    ("fünfundvierzig", "vijfenveertig") or of tens and a unit ("ventitré", "veintidós")."""
    if not word:
        return None
    if word in values or _plain(word) in values:
        return values.get(word, values.get(_plain(word)))
    units = {w: n for w, n in values.items() if n < 10}
    tens = {w: n for w, n in values.items() if 20 <= n < 100 and n % 10 == 0}
    for split in range(2, len(word) - 2):
        head, tail = word[:split], word[split:]
        for joiner in ("und", "ën", "en"):  # German, Dutch: a unit, "and", tens
            rest = tail[len(joiner) :]
            if head in units and tail.startswith(joiner) and rest in tens:
                return tens[rest] + units[head]
        unit = units.get(_plain(tail))
        if unit is not None:  # Italian, Spanish: tens (or their stem) and a unit
            for word_of_tens, number in tens.items():
                if head in (word_of_tens, word_of_tens[:-1], word_of_tens[:-1] + "i"):
                    return number + unit
    return None


def names(text: str, language: str | None) -> list[str]:
    """Words that name someone, somewhere or something: capitalised where a sentence does not
    start, and not one of the language's little words ("I", "Sie"); in Japanese, katakana
    words. Sentences start after . ! ? : ; quotes, brackets, dashes and line breaks. A
    possessive's or contraction's ending is dropped ("Anne's" names "Anne"; "I'm" is "I")."""
    little = stop_words(language)
    found = list(_KATAKANA.findall(text))
    starts = True
    position = 0
    for match in _TOKEN.finditer(text):
        if _SENTENCE_END.search(text[position : match.start()]):
            starts = True
        position = match.end()
        token = _ENDINGS.sub("", match.group())
        if token[0].isupper() and not starts and fold(token) not in little:
            found.append(token)
        starts = False
    return found
