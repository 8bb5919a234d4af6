"""Personal data known by its shape: links, e-mail and street addresses, postcodes, phone,
card, bank account and ID numbers, dates of birth.

Each :data:`DETECTORS` entry is a kind, a pattern and a check of a candidate against the
text just before it. A pattern with a ``value`` group replaces only that group ("born
[BIRTHDATE_1]": the cue stays, so the model still knows what was hidden).

Ordinary numbers stay: prices ("15 euros"), counts ("3 kids"), times ("6:52"), years ("in
2019"), dates that are not a birth date, versions and order numbers. A five-digit number is a
postcode only in an address (after a street, a state such as "CA", before a town, or after
"ZIP"/"PLZ"/"código postal"); a long number is an ID only after a word such as "customer",
"member", "account", "passport" or "ID"; a date is a birth date only after "born", "DOB",
"geboren" or "fecha de nacimiento".
"""

from __future__ import annotations

import re
from collections.abc import Callable

from persona.hybrid.entities import EVERYDAY, word_set

KINDS: dict[str, tuple[str, str]] = {
    "FILE": ("file name", "file names"),
    "PERSON": ("name", "names"),
    "EMAIL": ("e-mail address", "e-mail addresses"),
    "PHONE": ("phone number", "phone numbers"),
    "URL": ("link", "links"),
    "CARD": ("card number", "card numbers"),
    "IBAN": ("bank account number", "bank account numbers"),
    "ADDRESS": ("street address", "street addresses"),
    "POSTCODE": ("postcode", "postcodes"),
    "BIRTHDATE": ("date of birth", "dates of birth"),
    "ID": ("ID or account number", "ID or account numbers"),
}
"""Pseudonym kinds and what the UI calls one or several of them."""

URL_TRAILING = ".,;:!?)]}'\""
"""Punctuation that ends a sentence rather than a link."""

Check = Callable[[str, str], bool]
"""Whether a candidate (its text, the text just before it) really is personal data."""

_URL = re.compile(
    r"\b(?:https?://|www\.)[^\s<>\"'\[\]]+|\b(?:[a-z0-9-]+\.)+[a-z]{2,24}/[^\s<>\"'\[\]]*",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"\b[\w.%+-]+@(?:[a-z0-9-]+\.)+[a-z]{2,24}\b", re.IGNORECASE)
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
_CARD = re.compile(r"(?<![\d+])(?:\d{4}([ -]?)\d{4}\1\d{4}\1\d{1,7}|\d{4}([ -]?)\d{6}\2\d{5})\b")
_PHONE = re.compile(
    r"(?<![\w.,+/-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?\d{1,15}(?:[ .-]\d{1,15}){0,5}(?!\w)"
)
_US_PHONE = re.compile(r"\(?\d{3}\)?[ .-]?\d{3}[ .-]\d{4}")
_DATE = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}")
_PHONE_WORD = re.compile(
    r"\b(?:phone|tel|telephone|mobile|cell|call|landline|whatsapp|fax|number|sms)\b"
    r"\W{0,3}(?:\w+\W{1,3}){0,2}$",
    re.IGNORECASE,
)

_CAPITALISED = r"[A-ZÀ-ÖØ-Þ][\w'’.-]*"
_STREET_WORDS = (
    r"Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|Way|Place|Pl|Close|Court|Ct"
    r"|Crescent|Terrace|Square|Sq|Gardens|Hill|Row|Mews|Parade|Grove|Walk|Highway|Hwy"
)
_ADDRESS = re.compile(
    # 12 Baker Street, 221B Baker St., 5-7 Old Kent Road, 12 rue de la Paix
    rf"\b\d{{1,5}}[A-Za-z]?(?:[-/]\d{{1,5}})?,?\s+(?:(?:{_CAPITALISED}\s+){{1,3}}"
    rf"(?:{_STREET_WORDS})\b\.?|(?:rue|avenue|boulevard|bd|place|chemin|allée|impasse|quai)"
    rf"\s+(?:(?:de|du|des|la|le|l['’])\s*)*{_CAPITALISED}(?:\s+{_CAPITALISED}){{0,2}})"
    # Hauptstraße 5, Berliner Str. 12a, Kerkstraat 12
    rf"|\b(?:{_CAPITALISED}\s)?[A-ZÄÖÜ][\wäöüß-]*(?:straße|strasse|str\.|weg|gasse|allee|platz"
    rf"|ring|damm|ufer|straat|laan|plein|gracht|kade|singel|vej|gatan|gata)"
    rf"\s+\d{{1,4}}(?:\s?[a-zA-Z]\b)?"
    rf"|\b(?:{_CAPITALISED}\s)?(?:Straße|Strasse|Str\.|Platz|Allee)\s+\d{{1,4}}[a-zA-Z]?\b"
    # Calle Mayor 3, Avda. de la Constitución, 12, Rua Augusta 27, Via Roma 1
    r"|\b(?:Calle|C/|Avenida|Avda\.?|Av\.|Paseo|Plaza|Pza\.|Camino|Carrera|Carretera|Ronda"
    r"|Travesía|Rua|Praça|Via|Viale|Piazza|Corso|Largo)\s+"
    rf"(?:(?:de|del|la|las|los|do|da|dos|das|di|della)\s+)*{_CAPITALISED}"
    rf"(?:\s+{_CAPITALISED}){{0,3}},?\s*(?:n[º°o]\.?\s*)?\d{{1,4}}[a-zA-Z]?\b",
)
_NOT_DUTCH = sorted(word_set("AD BC CE AM PM SA SD SS GB MB KB TB UK US EU HD TV PC"))
"""Two capitals after four digits that are not a Dutch postcode ("1000 GB", "1500 BC")."""
_UK_POSTCODE = r"\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) ?\d[A-Z]{2}\b"
_DUTCH_POSTCODE = rf"\b[1-9]\d{{3}} ?(?!(?:{'|'.join(_NOT_DUTCH)})\b)[A-Z]{{2}}\b"
_FIVE_DIGITS = r"(?<![\d.,:/-])\d{5}(?:-\d{4})?(?![\d.,:/-]?\d)"
_POSTCODE = re.compile(
    rf"{_UK_POSTCODE}|{_DUTCH_POSTCODE}"
    rf"|\b[A-Z]{{2}},?\s+(?P<value>{_FIVE_DIGITS})"  # CA 94103, NY 10001-1234
    rf"|(?P<town>{_FIVE_DIGITS})\s+(?P<next>[A-ZÀ-ÖØ-Þ][a-zß-ÿ]+)"  # 10115 Berlin
    rf"|{_FIVE_DIGITS}"
)
_POSTCODE_CUE = re.compile(
    r"(?:zip(?:\s*code)?|post\s*code|postal\s*code|plz|cp|c\.p\.|código postal|code postal"
    r"|\[(?:ADDRESS|POSTCODE)_\d+\])(?:\W+(?:is|was|number|no\.?|lautet|es))?\W{0,3}$",
    re.IGNORECASE,
)
_STATE = re.compile(r"\b([A-Z]{2}),?\s+$")
_UNITS = word_set(
    """step people user time customer order item unit point calorie kilometer kilometre km
    mile meter metre word page view download visitor member euro dollar pound peso yen yuan
    franc krona krone rupee real"""
)
"""Words after a number that make it a count or an amount, not a postcode."""
_US_STATES = word_set(
    """AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE
    NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR"""
)

_MONTHS = (
    r"jan(?:uary|uar|vier)?|feb(?:ruary|ruar|rero)?|mar(?:ch|zo|s)?|märz|apr(?:il)?|abril"
    r"|may|mai|mayo|jun(?:e|i|io)?|juin|jul(?:y|i|io)?|juillet|aug(?:ust)?|agosto|août"
    r"|sep(?:t|tember|tiembre)?|oct(?:ober|ubre)?|okt(?:ober)?|octobre|nov(?:ember|iembre)?"
    r"|novembre|dec(?:ember)?|dez(?:ember)?|diciembre|décembre|enero|janvier|février|avril"
)
_BIRTH_DATE = (
    rf"\d{{1,2}}(?:st|nd|rd|th|\.)?\s+(?:of\s+|de\s+)?(?:{_MONTHS})\.?,?\s+(?:de\s+)?\d{{4}}"
    rf"|(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    r"|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})"
)
_BIRTH = re.compile(
    r"\b(?:born(?:\s+on)?|date\s+of\s+birth|d\.?o\.?b\.?|birthday(?:\s+is)?"
    r"|geboren(?:\s+am)?|geb\.|geburtsdatum|fecha\s+de\s+nacimiento|nacid[oa](?:\s+el)?"
    r"|née?\s+le|date\s+de\s+naissance)"
    rf"\s*[:\-–]?\s*(?:the\s+|el\s+|on\s+)?(?P<value>{_BIRTH_DATE})(?!\d)",
    re.IGNORECASE,
)

_ID_CUE = (
    r"(?:\bid|\bidentification|\baccount|\bacct|\bmember(?:ship)?|\bcustomer|\bclient|\bpatient"
    r"|\bpolicy|\bpassport|\blicen[cs]e|\bsocial\s+security|\bnational\s+insurance|\bssn"
    r"|\btax\s+(?:id|number|code|no)|\bsort\s*code|\bnhs|\binsurance|\bemployee|\bstudent|\bkunden\w*|\bmitglieds\w*|\bversicherten\w*|\bkonto\w*"
    r"|\bausweis\w*|\bpersonalausweis\w*|\bsteuer\w*|\bdni|\bnie|\bnif|\bpasaporte|\bsocio"
    r"|\bcliente|\bcuenta|\bn[º°]|\bnúmero)"
)
_ID = re.compile(
    # US social security, UK National Insurance
    r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])"
    r"|\b[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"
    # a long number after an ID cue: customer number 004512337, member ID: AB-123456
    rf"|(?i:{_ID_CUE})\b[^\n\d]{{0,25}}?"
    r"(?P<value>\b(?:[A-Z]{1,3}[-/ ]?)?\d[\d -]{4,22}\d[A-Z]?\b)"
)
_ID_DIGITS = 6
_YEARS = re.compile(r"(?:19|20)\d\d(?:\s*[-–/]\s*(?:19|20)?\d\d)*")
_FULL_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}-\d{1,2}-\d{4}")


def _always(value: str, before: str) -> bool:
    return True


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _is_card(value: str, before: str) -> bool:
    digits = re.sub(r"\D", "", value)
    return 13 <= len(digits) <= 19 and _luhn(digits)


def _is_iban(value: str, before: str) -> bool:
    compact = value.replace(" ", "")
    return 15 <= len(compact) <= 34 and sum(c.isdigit() for c in compact) >= 10


def _is_phone(value: str, before: str) -> bool:
    """International (``+``), national (leading 0) and US formats; a shorter local number
    only right after a word such as "phone" or "call"."""
    digits = sum(c.isdigit() for c in value)
    if value.startswith("+"):
        return 8 <= digits <= 15
    if _US_PHONE.fullmatch(value) or (value.lstrip("(").startswith("0") and 9 <= digits <= 15):
        return True
    return 7 <= digits <= 15 and not _DATE.fullmatch(value) and bool(_PHONE_WORD.search(before))


def _is_id(value: str, before: str) -> bool:
    """Six digits or more, or letters and four digits ("AB-1234"); not "12 000" pounds, not
    years ("2019-2020") or dates."""
    digits = sum(c.isdigit() for c in value)
    if _YEARS.fullmatch(value) or _FULL_DATE.fullmatch(value):
        return False
    return digits >= _ID_DIGITS or (value[:1].isalpha() and digits >= _ID_DIGITS - 2)


def _is_postcode(value: str, before: str) -> bool:
    """UK and Dutch postcodes by their shape; five digits only in an address context."""
    if value[-1:].isalpha():
        return True  # SW1A 1AA, 1234 AB
    state = _STATE.search(before)
    return bool(_POSTCODE_CUE.search(before)) or (state is not None and state[1] in _US_STATES)


def _looks_like_town(word: str) -> bool:
    """A capitalised word after five digits is a town ("10115 Berlin"), unless it is a
    currency or a unit written with a capital ("25000 Dollars", "10000 Steps")."""
    folded = word.casefold()
    return folded not in EVERYDAY and folded.rstrip("s") not in _UNITS


DETECTORS: tuple[tuple[str, re.Pattern[str], Check], ...] = (
    ("URL", _URL, _always),
    ("EMAIL", _EMAIL, _always),
    ("IBAN", _IBAN, _is_iban),
    ("CARD", _CARD, _is_card),
    ("BIRTHDATE", _BIRTH, _always),
    ("ID", _ID, _is_id),
    ("ADDRESS", _ADDRESS, _always),
    ("POSTCODE", _POSTCODE, _is_postcode),
    ("PHONE", _PHONE, _is_phone),
)
"""In order: a value one detector replaced is not looked at by the next."""


def replaced_span(kind: str, match: re.Match[str]) -> tuple[int, int, str] | None:
    """Where in ``match`` the personal value is (start, end, value), or None when the
    candidate is not personal data after all."""
    groups = match.groupdict()
    if kind == "POSTCODE" and groups.get("town"):
        town_start = match.start("town")
        before = match.string[max(town_start - 40, 0) : town_start]
        if not _is_postcode(match.group("town"), before) and not _looks_like_town(
            match.group("next")
        ):
            return None
        return match.start("town"), match.end("town"), match.group("town")
    group = "value" if groups.get("value") else 0
    start, end = match.span(group)
    value = match.group(group)
    if kind == "URL":
        value = value.rstrip(URL_TRAILING)
        end = start + len(value)
    check = _CHECKS[kind]
    return (start, end, value) if check(value, match.string[max(start - 40, 0) : start]) else None


_CHECKS: dict[str, Check] = {kind: check for kind, _, check in DETECTORS}
