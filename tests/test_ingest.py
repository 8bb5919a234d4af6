"""The reader matrix: formats × encodings × delimiters, locators, and files that fail well."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import random
import zipfile
from pathlib import Path
from typing import Any

import docx
import pytest
from fpdf import FPDF

from persona.core.documents import Document, Passage
from persona.core.errors import InputError
from persona.core.tokens import estimate_tokens
from persona.ingest import (
    SUPPORTED_EXTENSIONS,
    FileReport,
    decode_text,
    read_file,
    read_files,
    read_paths,
)
from persona.ingest.preview import file_tables
from persona.ingest.tables import csv_table

SAMPLES = Path(__file__).resolve().parents[1] / "samples"

HEADER = ["Name", "Age", "What is hardest?"]
ANSWERS = [
    ["José Núñez", "41", "Substitutions – they swapped my daughter’s gluten-free bread."],
    ["Zoë Müller", "29", "The fee is €5.99; too much for one person, “honestly”."],
    ["François Lefèvre", "67", 'Tiny text.\nButtons too close.\nI said "no" twice.'],
    ["Inés Peña", "", "Planning for five, with a | and a , and a tab\there."],
]
EXPECTED_ROWS = [
    "Name: José Núñez; Age: 41; What is hardest?: Substitutions – they swapped my "
    "daughter’s gluten-free bread.",
    "Name: Zoë Müller; Age: 29; What is hardest?: The fee is €5.99; too much for one person, "
    "“honestly”.",
    "Name: François Lefèvre; Age: 67; What is hardest?: Tiny text.\nButtons too close.\n"
    'I said "no" twice.',
    "Name: Inés Peña; What is hardest?: Planning for five, with a | and a , and a tab\there.",
]

TRANSCRIPT_LINES = [
    "Participant: Zoë Müller (29, designer)",
    "",
    "Interviewer: How do you shop?",
    "   ",
    "Zoë: Mostly on my phone – at night, after work.",
    "Zoë: I’d pay €2 more for a reliable slot.",
    "",
]

ENCODINGS = {
    "utf-8": ("utf-8", b""),
    "utf-8-sig": ("utf-8", codecs.BOM_UTF8),
    "utf-16-le": ("utf-16-le", codecs.BOM_UTF16_LE),
    "utf-16-be": ("utf-16-be", codecs.BOM_UTF16_BE),
    "cp1252": ("cp1252", b""),
}
"""Expected reported encoding → (codec to write with, BOM to put first)."""


def encode(text: str, encoding: str) -> bytes:
    codec, bom = ENCODINGS[encoding]
    return bom + text.encode(codec)


def csv_text(rows: list[list[str]], delimiter: str = ",", newline: str = "\r\n") -> str:
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator=newline).writerows(rows)
    return out.getvalue()


def read_ok(name: str, data: bytes, **kwargs: Any) -> tuple[Document, FileReport]:
    document, report = read_file(name, data, **kwargs)
    assert report.ok, report.error
    assert document is not None
    return document, report


def read_error(name: str, data: bytes, **kwargs: Any) -> str:
    document, report = read_file(name, data, **kwargs)
    assert document is None
    assert not report.ok
    assert report.error.startswith(name)
    assert (report.rows, report.tokens, report.characters) == (0, 0, 0)
    return report.error


def noise(size: int) -> bytes:
    rng = random.Random(size)
    return bytes(rng.randrange(1, 256) for _ in range(size))


def texts(document: Document) -> list[str]:
    return [p.text for p in document.passages]


def locators(document: Document) -> list[str]:
    return [p.locator for p in document.passages]


# --- CSV / TSV ----------------------------------------------------------------


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
@pytest.mark.parametrize("newline", ["\r\n", "\n"])
def test_csv_matrix(encoding: str, delimiter: str, newline: str) -> None:
    data = encode(csv_text([HEADER, *ANSWERS], delimiter, newline), encoding)
    document, report = read_ok("survey.csv", data)
    quotes = [p for p in document.passages if p.citable]
    assert [p.text for p in quotes] == [row[2] for row in ANSWERS]
    assert [p.locator for p in quotes] == [f"row {n}, What is hardest?" for n in range(2, 6)]
    assert [p.participant for p in quotes] == [f"row {n}" for n in range(2, 6)]
    assert document.identifiers == [row[0] for row in ANSWERS]  # a name column: never sent
    context = [(p.locator, p.text) for p in document.passages if not p.citable]
    assert context == [
        ("What is hardest?", "What is hardest?"),
        ("row 2", "Age: 41"),
        ("row 3", "Age: 29"),
        ("row 4", "Age: 67"),
    ]
    assert {p.source for p in document.passages} == {"survey.csv"}
    assert report.encoding == encoding.replace("utf-8-sig", "utf-8-sig")
    assert (report.kind, report.rows, report.warnings) == ("csv", 8, ())
    assert report.characters == sum(len(p.text) for p in document.passages)
    assert report.tokens == sum(estimate_tokens(p.text) for p in document.passages)
    assert report.size_bytes == document.size_bytes == len(data)
    assert document.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("encoding", "reported"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252")],
)
def test_reported_encoding(encoding: str, reported: str) -> None:
    data = encode(csv_text([HEADER, *ANSWERS]), encoding)
    assert read_ok("s.csv", data)[1].encoding == reported


@pytest.mark.parametrize(
    "text",
    [
        "Nom;Réponse\nFrançois Lefèvre;C’est très pratique, mais la livraison coûte 5 € de trop.\n",
        "Name;Antwort\nJürgen Schäfer;Die Lieferung war pünktlich, aber die Äpfel waren weich.\n",
        "Nombre;Respuesta\nJosé Núñez;La aplicación es fácil, pero ¿por qué tantas alertas?\n",
        "Name;Answer\nZoë Müller;I don’t like the “express” fee – it’s too much.\n",
        "Zoë;café\n",
        "Chloé\n",
        "It’s “ok” – I guess\n",
        "Name;City\nJosé Núñez;Málaga\nZoë Müller;Köln\nFrançois Lefèvre;Besançon\n",
        "Name\tAnswer\nSøren\tIt’s “ok” – I guess\nÅsa\tNej tack\nGünter\tZu teuer, 5 €\n",
        "id|name|answer\n1|Chloé|C’était bien\n2|Noël|Très cher\n3|Renée|Pas mal du tout\n",
        "\n".join(TRANSCRIPT_LINES),
    ],
)
def test_cp1252_is_decoded_right(text: str) -> None:
    assert decode_text("a.csv", text.encode("cp1252")) == (text, "cp1252")


@pytest.mark.parametrize(
    ("text", "codec"),
    [
        (
            "Imię;Odpowiedź\nŁukasz Wójcik;Dostawa była szybka, ale jabłka były miękkie. "
            "Zażółć gęślą jaźń.\n",
            "cp1250",
        ),
        ("Имя;Ответ\nИван Петров;Доставка была быстрой, но яблоки были мягкими.\n", "cp1251"),
        ("Γιάννης Παπαδόπουλος: Η παράδοση ήταν γρήγορη, αλλά τα μήλα ήταν μαλακά.", "cp1253"),
        (
            "Ayşe Yılmaz: Teslimat hızlıydı ama elmalar yumuşaktı. Teşekkür ederim, çok güzel.",
            "cp1254",
        ),
        ("田中太郎：配達はとても速かったです。でも、りんごが柔らかかった。", "shift_jis"),
    ],
)
def test_other_code_pages_are_still_detected(text: str, codec: str) -> None:
    assert decode_text("a.csv", text.encode(codec))[0] == text


def grid(text: str, name: str = "s.csv") -> list[tuple[int, list[str]]]:
    """The header (column keys) and rows of a CSV/TSV text as the table reader sees them."""
    [table] = file_tables(name, text.encode())
    return [(table.header_row, [c.key for c in table.columns]), *table.rows]


@pytest.mark.parametrize(
    ("name", "header", "rows", "expected"),
    [
        ("a.csv", "a,b\tc,d", ["1,2\t3,4"], [["a", "b c", "d"], ["1", "2\t3", "4"]]),
        ("a.tsv", "a,b\tc,d", ["1,2\t3,4"], [["a,b", "c,d"], ["1,2", "3,4"]]),
        ("a.csv", "q;r", ["x, y;z", "p;q, r, s"], [["q", "r"], ["x, y", "z"]]),
        (
            "a.csv",
            "What did you like, if anything?",
            ["Fast, cheap", "Nothing", "The app"],
            [["What did you like, if anything?"], ["Fast, cheap"]],
        ),
        (
            "a.csv",
            "Feedback",
            ["I like it, a lot; really", "Meh"],
            [["Feedback"], ["I like it, a lot; really"]],
        ),
        ("a.csv", "a|b|c", ["1|2|3", "4|5|6"], [["a", "b", "c"], ["1", "2", "3"]]),
    ],
)
def test_delimiter_sniffing(
    name: str, header: str, rows: list[str], expected: list[list[str]]
) -> None:
    found = grid("\n".join([header, *rows]), name)
    assert [cells for _, cells in found[:2]] == expected
    assert len(found) == len(rows) + 1


def test_sniffing_sees_past_a_large_sample() -> None:
    answer = "They said " + "very " * 40 + "slow, it was"
    rows = [["id", "answer", "score"]] + [[str(i), answer, "3"] for i in range(2000)]
    document, _ = read_ok("big.csv", csv_text(rows, ";").encode())
    quotes = [p for p in document.passages if p.citable]
    assert len(quotes) == 2000
    assert (quotes[-1].locator, quotes[-1].text, quotes[-1].participant) == (
        "row 2001, answer",
        answer,
        "1999",
    )


def test_multiline_cells_keep_the_spreadsheet_row() -> None:
    text = (
        "Name;Answer;Score\r\n"
        'Ana;"first line\r\nsecond line\r\nthird line";4\r\n'
        "Ben;short;5\r\n"
        ";;\r\n"
        "\r\n"
        'Cleo;"quote ""inside""; and a semicolon";2\r\n'
        "Dan;;\r\n"
    )
    assert grid(text)[1:] == [
        (2, ["Ana", "first line\nsecond line\nthird line", "4"]),
        (3, ["Ben", "short", "5"]),
        (6, ["Cleo", 'quote "inside"; and a semicolon', "2"]),
        (7, ["Dan", "", ""]),
    ]
    document, report = read_ok("s.csv", text.encode())
    assert [p.locator for p in document.passages if p.citable] == [
        "row 2, Answer",
        "row 3, Answer",
        "row 6, Answer",
    ]
    assert report.warnings == (
        "2 empty rows skipped (rows 4, 5)",
        "1 row without a free-text answer skipped (row 7)",
    )


@pytest.mark.parametrize("brk", ["\f", "\v", "\x1c", "\x85", "\u2028", "\u2029"])
def test_only_cr_and_lf_end_a_row(brk: str) -> None:
    text = f"q,a\r\nx,before{brk}after\r\ny,z\r\n"
    assert grid(text)[1:] == [(2, ["x", f"before{brk}after"]), (3, ["y", "z"])]


def test_rows_with_more_or_fewer_cells_than_the_header() -> None:
    text = "a,b,c\n1,2,3\n4,5,6,extra\n7\n8,9,10,11,12\n13,14,15\n16,17,18\n"
    table = csv_table("s.csv", text)
    assert [c.key for c in table.columns] == ["a", "b", "c", "column D", "column E"]
    assert table.rows == [
        (2, ["1", "2", "3"]),
        (3, ["4", "5", "6", "extra"]),
        (4, ["7"]),
        (5, ["8", "9", "10", "11", "12"]),
        (6, ["13", "14", "15"]),
        (7, ["16", "17", "18"]),
    ]
    assert table.warnings == [
        "2 rows have more cells than the header (rows 3, 5); the extra cells were kept as "
        "extra columns",
    ]


def test_header_cells_are_cleaned_and_blank_ones_named() -> None:
    text = '\n\n" Why\nnot? ",,Age\nbecause,x,30\n'
    assert grid(text) == [(3, ["Why not?", "column B", "Age"]), (4, ["because", "x", "30"])]


@pytest.mark.parametrize(
    "count, shown",
    [
        (1, "1 empty row skipped (row 3)"),
        (7, "7 empty rows skipped (rows 3, 4, 5, 6, 7 and 2 more)"),
    ],
)
def test_empty_row_warning_lists_a_few(count: int, shown: str) -> None:
    text = "a,b\nwell said,2\n" + ",\n" * count + "said well,4\n"
    table = csv_table("s.csv", text)
    assert table.warnings == [shown]
    assert [n for n, _ in table.rows] == [2, count + 3]


def test_unclosed_quote_is_read_leniently_with_a_warning() -> None:
    text = 'a,b\n1,"open\n2,3\n4,5\n'
    table = csv_table("s.csv", text)
    assert table.rows == [(2, ["1", "open\n2,3\n4,5"])]
    assert table.warnings[0].startswith('row 2 opens a quote (") that never closes')


def test_stray_quote_is_read_leniently_with_a_warning() -> None:
    text = 'a,b\n1,2\n3,"x" y\n'
    table = csv_table("s.csv", text)
    assert table.rows == [(2, ["1", "2"]), (3, ["3", "x y"])]
    assert table.warnings[0].startswith('row 3 has a stray quote (")')


def test_a_quote_swallowing_a_huge_file_is_an_error() -> None:
    text = 'a,b\n1,"open\n' + "more text,and more\n" * 10_000
    error = read_error("s.csv", text.encode())
    assert "row 2 could not be read" in error
    assert "never closes" in error


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Name,Email,Answer\r\n", "has a header row but no answers below it"),
        ("Name,Email\n,\n ,  \n", "has a header row but no answers below it"),
        (",,\n\n", "has no text in it"),
    ],
)
def test_csv_without_answers(text: str, message: str) -> None:
    assert message in read_error("s.csv", text.encode())


# --- JSON / JSON Lines --------------------------------------------------------


NESTED = {
    "name": "Ána",
    "answers": {"q1": "Too slow", "q2": "", "q3": {"why": "kids"}},
    "tags": ["busy", "parent", None],
    "visits": [{"date": "2024-01-01", "note": "ok"}, {"date": "2024-02-01"}],
    "score": 4,
    "ratio": 0.5,
    "vip": True,
    "churned": False,
    "notes": None,
}
NESTED_TEXT = (
    "name: Ána; answers.q1: Too slow; answers.q3.why: kids; tags: busy, parent; "
    "visits.1.date: 2024-01-01; visits.1.note: ok; visits.2.date: 2024-02-01; score: 4; "
    "ratio: 0.5; vip: true; churned: false"
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            [{"name": "Zoë", "answer": "Too pricey"}, {"name": "José", "answer": "Fine"}],
            [
                ("record 1", "name: Zoë; answer: Too pricey"),
                ("record 2", "name: José; answer: Fine"),
            ],
        ),
        (
            {"p1": {"answer": "Late again – twice"}, "p7": {"answer": "Très bien"}},
            [("record p1", "answer: Late again – twice"), ("record p7", "answer: Très bien")],
        ),
        (
            {"responses": [{"q": "Slow"}, {"q": "Fast – €2"}]},
            [("record 1", "q: Slow"), ("record 2", "q: Fast – €2")],
        ),
        ([NESTED], [("record 1", NESTED_TEXT)]),
        (NESTED, [("record 1", NESTED_TEXT)]),
        (
            ["I order weekly – Inés", "  ", 42],
            [("record 1", "I order weekly – Inés"), ("record 3", "42")],
        ),
        ("Just one answer, José", [("record 1", "Just one answer, José")]),
        ([[1, 2], [{"a": "Zoë"}]], [("record 1", "1, 2"), ("record 2", "1.a: Zoë")]),
    ],
)
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_json_shapes(value: object, expected: list[tuple[str, str]], encoding: str) -> None:
    data = encode(json.dumps(value, ensure_ascii=False, indent=2), encoding)
    document, report = read_ok("export.json", data)
    assert [(p.locator, p.text) for p in document.passages] == expected
    assert (report.kind, report.encoding) == ("json", encoding)


def test_json_empty_records_are_counted() -> None:
    value = [{"a": "x"}, {}, {"b": None}, {"c": ""}, {"d": "y"}]
    document, report = read_ok("e.json", json.dumps(value).encode())
    assert locators(document) == ["record 1", "record 5"]
    assert report.warnings == ("3 empty records skipped (record 2, record 3, record 4)",)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('[{"a": 1},\n {"b": 2,}]', "line 2, column 10: Expecting property name"),
        ('{"a": "unterminated', "line 1, column 7: Unterminated string"),
        ("[1, 2", "line 1, column 6: Expecting ',' delimiter"),
    ],
)
def test_invalid_json_says_where(text: str, where: str) -> None:
    error = read_error("bad.json", text.encode())
    assert "is not valid JSON" in error
    assert where in error


def test_json_lines_in_a_json_file_are_read_as_lines() -> None:
    text = '{"a": "first"}\n{"a": "second"}\n'
    document, report = read_ok("x.json", text.encode())
    assert [(p.locator, p.text) for p in document.passages] == [
        ("line 1", "a: first"),
        ("line 2", "a: second"),
    ]
    assert report.warnings == ("it holds one JSON value per line, so it was read as JSON Lines",)


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("name", ["r.jsonl", "r.ndjson"])
def test_jsonl_bad_line_is_skipped_with_its_number(encoding: str, name: str) -> None:
    text = '{"who": "Zoë", "said": "too pricey"}\r\n\r\n{"who": "José"\n{"who": "Inés"}\n{}\n'
    document, report = read_ok(name, encode(text, encoding))
    assert [(p.locator, p.text) for p in document.passages] == [
        ("line 1", "who: Zoë; said: too pricey"),
        ("line 4", "who: Inés"),
    ]
    assert report.kind == "jsonl"
    assert report.warnings == (
        "1 line is not valid JSON and skipped: line 3 (Expecting ',' delimiter)",
        "1 empty record skipped (line 5)",
    )


def test_jsonl_many_bad_lines_are_summarised() -> None:
    lines = ['{"ok": 1}'] + ["nope"] * 7
    _, report = read_ok("r.jsonl", "\n".join(lines).encode())
    assert report.warnings == (
        "7 lines are not valid JSON and skipped: line 2 (Expecting value), line 3 (Expecting "
        "value), line 4 (Expecting value), line 5 (Expecting value), line 6 (Expecting value) "
        "and 2 more",
    )


@pytest.mark.parametrize("name", ["deep.json", "deep.jsonl"])
def test_json_nested_too_deep_is_an_error(name: str) -> None:
    text = '{"a": ' * 50_000 + "1" + "}" * 50_000
    assert "is nested too deeply to read" in read_error(name, text.encode())


def test_jsonl_with_no_valid_line_is_an_error() -> None:
    error = read_error("r.jsonl", b"not json\n{broken\n")
    assert "no line is valid JSON (line 1 (Expecting value))" in error


# --- Plain text and Markdown ----------------------------------------------------


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize(("name", "kind"), [("t.txt", "text"), ("t.md", "markdown")])
def test_transcript_lines_keep_their_numbers(
    encoding: str, newline: str, name: str, kind: str
) -> None:
    document, report = read_ok(name, encode(newline.join(TRANSCRIPT_LINES), encoding))
    assert [(p.locator, p.text) for p in document.passages] == [
        ("line 1", TRANSCRIPT_LINES[0]),
        ("line 3", TRANSCRIPT_LINES[2]),
        ("line 5", TRANSCRIPT_LINES[4]),
        ("line 6", TRANSCRIPT_LINES[5]),
    ]
    assert (report.kind, report.encoding, report.warnings) == (kind, encoding, ())


def test_long_lines_are_never_truncated() -> None:
    line = "word " * 100_000
    document, report = read_ok("long.txt", line.encode())
    assert texts(document) == [line.strip()]
    assert report.characters == len(line.strip())


# --- PDF and Word ---------------------------------------------------------------


def make_pdf(pages: list[str], password: str = "") -> bytes:
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.multi_cell(0, 10, text)
    if password:
        pdf.set_encryption(owner_password="owner", user_password=password)
    return bytes(pdf.output())


def test_pdf_pages() -> None:
    data = make_pdf(["Interview notes\nAna wants faster delivery.", "", "Ben: price matters."])
    document, report = read_ok("notes.pdf", data)
    assert [(p.locator, p.text) for p in document.passages] == [
        ("page 1", "Interview notes\nAna wants faster delivery."),
        ("page 3", "Ben: price matters."),
    ]
    assert (report.kind, report.encoding) == ("pdf", "")
    assert report.warnings == (
        "1 page without text skipped (page 2); scanned pages need OCR first",
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (make_pdf(["", ""]), "has no text layer"),
        (make_pdf(["secret"], password="pw"), "is password-protected"),
        (b"%PDF-1.7\nthis is not really a pdf", "could not be read as a PDF"),
        (make_pdf(["cut short"])[:300], "could not be read as a PDF"),
    ],
)
def test_pdf_errors(data: bytes, message: str) -> None:
    assert message in read_error("notes.pdf", data)


def make_docx() -> bytes:
    document = docx.Document()
    document.add_heading("Interview with Zoë", level=1)
    document.add_paragraph("Zoë: I order on Sundays.")
    document.add_paragraph("")
    table = document.add_table(rows=3, cols=3)
    for row, values in zip(
        table.rows, [["Q", "A", "Note"], ["Fee?", "Too high", ""], ["", "", ""]], strict=True
    ):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    merged = table.cell(2, 0).merge(table.cell(2, 1))
    merged.text = "Merged answer"
    table.cell(2, 2).text = "n"
    document.add_paragraph("Closing remark – thanks.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_docx_paragraphs_and_tables_in_order() -> None:
    document, report = read_ok("interview.docx", make_docx())
    assert [(p.locator, p.text) for p in document.passages] == [
        ("paragraph 1", "Interview with Zoë"),
        ("paragraph 2", "Zoë: I order on Sundays."),
        ("table 1, row 1", "Q | A | Note"),
        ("table 1, row 2", "Fee? | Too high"),
        ("table 1, row 3", "Merged answer | n"),
        ("paragraph 3", "Closing remark – thanks."),
    ]
    assert (report.kind, report.rows, report.warnings) == ("docx", 6, ())


def empty_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "not a word document")
    return out.getvalue()


@pytest.mark.parametrize("data", [b"PK\x03\x04 truncated zip", empty_zip(), b"plain text"])
def test_docx_that_is_not_word(data: bytes) -> None:
    error = read_error("old.docx", data)
    assert "Word" in error and ".docx" in error
    assert "zip" not in error.lower() and "xml" not in error.lower()  # no library jargon


def test_docx_without_text() -> None:
    out = io.BytesIO()
    docx.Document().save(out)
    assert "has no text in it" in read_error("blank.docx", out.getvalue())


# --- Files that cannot be read --------------------------------------------------


@pytest.mark.parametrize("extension", SUPPORTED_EXTENSIONS)
@pytest.mark.parametrize("data", [b"", b"  \r\n\t\n"])
def test_empty_files(extension: str, data: bytes) -> None:
    assert "is empty" in read_error(f"file{extension}", data)


@pytest.mark.parametrize("extension", [".csv", ".tsv", ".json", ".jsonl", ".txt", ".md"])
@pytest.mark.parametrize(
    "data",
    [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", empty_zip(), b"Name,Age\nAna,3\x00\n"],
)
def test_binary_files(extension: str, data: bytes) -> None:
    error = read_error(f"data{extension}", data)
    assert "does not look like a text file" in error or "with a text-file name, not text" in error
    if data.startswith(b"\x89PNG"):
        assert "is a PNG image" in error
    if data.startswith(b"PK"):
        assert "ZIP archive (an Excel workbook" in error


@pytest.mark.parametrize(
    "data",
    [
        codecs.BOM_UTF16_LE + b"a\x00b",
        codecs.BOM_UTF8 + b"caf\xe9",
        noise(2000),
    ],
)
def test_unreadable_encoding(data: bytes) -> None:
    assert "text encoding could not be recognised" in read_error("notes.txt", data)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "interviews.xls",
            "interviews.xls: old Excel workbooks (.xls) are not read; save it as .xlsx "
            "(File → Save As → Excel Workbook) and upload that.",
        ),
        ("old.XLS", "save it as .xlsx"),
        ("sheet.ods", "save the sheet as CSV"),
        ("notes.doc", "save it as .docx"),
        ("notes.rtf", "save it as .docx or .txt"),
        ("photo.png", ".png files are not supported. Supported types: .csv, .tsv, .json"),
        ("README", "has no file extension"),
    ],
)
def test_unsupported_types(name: str, message: str) -> None:
    error = read_error(name, b"some bytes")
    assert message in error
    if "Supported types" in message or "no file extension" in message:
        assert ", ".join(SUPPORTED_EXTENSIONS) in error


@pytest.mark.parametrize("name", ["NOTES.TXT", "Survey.CSV", "a.b.Md"])
def test_extensions_are_case_insensitive(name: str) -> None:
    read_ok(name, b"a,b\nwe order weekly,as a family\n")


@pytest.mark.parametrize(
    ("size", "limit", "ok"),
    [(100, 100, True), (101, 100, False), (5000, 4096, False), (3 * 1024 * 1024, 2**21, False)],
)
def test_size_limit(size: int, limit: int, ok: bool) -> None:
    data = b"x" * (size - 1) + b"\n"
    document, report = read_file("big.txt", data, max_bytes=limit)
    assert report.ok is ok
    assert (document is not None) is ok
    if not ok:
        assert "over the" in report.error
        assert "PERSONA_MAX_FILE_MB" in report.error
        assert report.size_bytes == size


@pytest.mark.parametrize(
    ("size", "message"),
    [(101, "big.txt is 101 bytes, over the 100 bytes limit"), (2048, "2.0 KB, over the 100 bytes")],
)
def test_size_message(size: int, message: str) -> None:
    assert message in read_error("big.txt", b"x" * size, max_bytes=100)


def test_size_limit_defaults_to_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERSONA_MAX_FILE_MB", "0.001")
    assert read_file("a.txt", b"x" * 1048)[1].ok
    _, report = read_file("a.txt", b"x" * 1049)
    assert "over the 1.0 KB limit" in report.error
    assert not read_files([("a.txt", b"x" * 1049)]).reports[0].ok
    assert read_files([("a.txt", b"x" * 1049)], max_bytes=2000).reports[0].ok


def test_decode_text_raises_input_error() -> None:
    with pytest.raises(InputError, match="binary data"):
        decode_text("x.txt", b"a\x00b")


# --- Batches ----------------------------------------------------------------------


def test_one_bad_file_among_good_ones() -> None:
    items = [
        ("a.csv", b"q,a\nwhy,because it is late\n"),
        ("b.xlsx", b"PK\x03\x04"),
        ("c.txt", b""),
        ("d.md", "Zoë: hello\n\nAna: hi\n".encode()),
        ("e.jsonl", b"{bad\n"),
    ]
    reading = read_files(iter(items))
    assert [r.name for r in reading.reports] == ["a.csv", "b.xlsx", "c.txt", "d.md", "e.jsonl"]
    assert [r.ok for r in reading.reports] == [True, False, False, True, False]
    assert reading.ok_count == 2
    assert [r.name for r in reading.failed] == ["b.xlsx", "c.txt", "e.jsonl"]
    assert [d.name for d in reading.documents] == ["a.csv", "d.md"]
    assert reading.passages == [
        Passage("a.csv", "a", "a", "P1", citable=False),
        Passage("a.csv", "row 2", "q: why", "P2", "row 2", citable=False, cells=(("q", "why"),)),
        Passage("a.csv", "row 2, a", "because it is late", "P3", "row 2", question="a"),
        Passage("d.md", "line 1", "Zoë: hello", "P4", "d.md"),
        Passage("d.md", "line 3", "Ana: hi", "P5", "d.md"),
    ]
    assert reading.total_tokens == sum(estimate_tokens(p.text) for p in reading.passages) > 0
    assert all(r.error for r in reading.failed)


def test_identical_files_are_flagged_not_dropped() -> None:
    reading = read_files([("a.txt", b"same\n"), ("b.txt", b"other\n"), ("c.txt", b"same\n")])
    assert [d.name for d in reading.documents] == ["a.txt", "b.txt", "c.txt"]
    assert [r.warnings for r in reading.reports] == [
        (),
        (),
        ("same content as a.txt, so its passages count twice",),
    ]


def test_empty_batch() -> None:
    reading = read_files([])
    assert (reading.documents, reading.reports, reading.passages) == ([], [], [])
    assert (reading.ok_count, reading.total_tokens) == (0, 0)


# --- Paths and folders ------------------------------------------------------------


def test_read_paths_walks_folders(tmp_path: Path) -> None:
    root = tmp_path / "research"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "b.txt").write_text("B says hi\n")
    (root / "a.csv").write_text("q,a\nx,y z w\n")
    (root / "sub" / "c.md").write_text("# C\n")
    (root / "sub" / "deeper" / "d.json").write_text('[{"d": 1}]')
    (root / "sub" / "photo.png").write_bytes(b"\x89PNG")
    (root / ".hidden.txt").write_text("secret\n")
    (root / ".git" / "notes.txt").write_text("git internals\n")
    (root / "~$lock.docx").write_bytes(b"\x00lock")
    (root / "gone.txt").symlink_to(tmp_path / "deleted.txt")
    lone = tmp_path / "lone.txt"
    lone.write_text("Lone line\n")

    reading = read_paths([root, str(lone), tmp_path / "missing.csv"])

    assert [r.name for r in reading.reports] == [
        "a.csv",
        "b.txt",
        "gone.txt",
        "sub/c.md",
        "sub/deeper/d.json",
        "lone.txt",
        str(tmp_path / "missing.csv"),
    ]
    assert [r.ok for r in reading.reports] == [True, True, False, True, True, True, False]
    assert reading.reports[2].error.startswith("gone.txt could not be opened (No such file")
    assert "no such file or folder" in reading.reports[-1].error
    assert [p.cite() for p in reading.passages if p.citable] == [
        "a.csv, row 2, a",
        "b.txt, line 1",
        "sub/deeper/d.json, record 1",
        "lone.txt, line 1",
    ]


def test_read_paths_reports_what_it_cannot_read(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "only.png").write_bytes(b"\x89PNG")
    big = tmp_path / "big.csv"
    big.write_bytes(b"a,b\n" + b"1,2\n" * 100)
    sheet = tmp_path / "sheet.xls"
    sheet.write_bytes(b"\xd0\xcf\x11\xe0")

    reading = read_paths([empty, big, sheet], max_bytes=200)

    assert [r.ok for r in reading.reports] == [False, False, False]
    assert "the folder has no files Persona can read" in reading.reports[0].error
    assert reading.reports[1].error.startswith("big.csv is 404 bytes, over the 200 bytes limit")
    assert (reading.reports[1].kind, reading.reports[1].size_bytes) == ("csv", 404)
    assert "old Excel workbooks (.xls) are not read" in reading.reports[2].error
    assert reading.documents == []


# --- Samples ------------------------------------------------------------------------


def test_samples_are_small() -> None:
    assert sum(p.stat().st_size for p in SAMPLES.rglob("*") if p.is_file()) < 100_000


def test_sample_survey_is_a_windows_excel_export() -> None:
    data = (SAMPLES / "survey_excel_export.csv").read_bytes()
    assert b"\r\n" in data
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    document, report = read_ok("survey_excel_export.csv", data)
    assert (report.encoding, report.warnings) == ("cp1252", ())
    text = document.text
    for name in ["José Núñez", "Zoë Müller", "Inés Peña", "jose.nunez@example.com"]:
        assert name in document.identifiers and name not in text  # never sent to a model
    for expected in [
        "don’t",
        "€5.99",
        "“never substitute”",
    ]:
        assert expected in text
    quotes = [p for p in document.passages if p.citable]
    assert len(quotes) == 40, "two free-text answers from each of 20 respondents"
    first = quotes[0]
    assert (first.locator, first.participant) == ("row 2, column G", "R001")
    assert first.text.startswith("Substitutions. They replaced my daughter’s gluten-free bread")
    about = next(p for p in document.passages if p.locator == "row 2")
    assert not about.citable
    assert about.text.startswith("Age: 41")
    assert not any("R001" in p.text or "@" in p.text for p in quotes)
    multiline = [p for p in quotes if "\n" in p.text]
    assert [p.locator for p in multiline] == ["row 6, column G"]


def test_sample_interviews() -> None:
    reading = read_paths([SAMPLES / "interviews"])
    assert reading.ok_count == len(reading.reports) == 3
    for report, document in zip(reading.reports, reading.documents, strict=True):
        lines = (SAMPLES / "interviews" / report.name).read_text().splitlines()
        assert 40 <= len(lines) <= 80
        assert lines[[i for i, s in enumerate(lines) if s][1]].startswith("Participant: ")
        for passage in document.passages:
            assert lines[int(passage.locator.split()[1]) - 1].strip() == passage.text
    text = "\n".join(d.text for d in reading.documents)
    for pii in [
        "maria.gonzalez@example.com",
        "+1 (555) 014-2297",
        "555-0148",
        "https://cheap-student-meals.example.net/about",
        "Priya Nair",
    ]:
        assert pii in text


def test_transcript_lines_know_their_speaker_and_context_is_not_citable() -> None:
    text = (
        "# Interview 3: bike-share study\n"
        "Participant: Sofia Lind (29, courier)\n"
        "Date: 2 May 2024\n"
        "Interviewer: How do you get to work?\n"
        "Sofia: By bike, every day.\n"
        "Mostly along the river.\n"
        "Interviewer: And in winter?\n"
        "Sofia: The docks freeze, so I walk.\n"
    )
    reading = read_files([("p03.md", text.encode()), ("notes.txt", b"Free text note.\n")])
    by_line = {p.locator: p for p in reading.passages if p.source == "p03.md"}
    assert [p.id for p in reading.passages] == [f"P{i}" for i in range(1, 10)]
    for locator in ("line 1", "line 2", "line 3", "line 4", "line 7"):
        assert not by_line[locator].citable
    assert [
        (by_line[x].participant, by_line[x].citable) for x in ("line 5", "line 6", "line 8")
    ] == [
        ("Sofia", True),
        ("Sofia", True),
        ("Sofia", True),
    ]
    note = reading.passages[-1]
    assert note.citable and note.participant == "notes.txt"
