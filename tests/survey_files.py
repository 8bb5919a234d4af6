"""Survey exports written with openpyxl in the layouts of real survey tools, for the tests.

- :func:`qualtrics_xlsx`: Qualtrics' "Export data → Excel" layout: short column names, then a
  row of question texts, then a row of ``{"ImportId": ...}``, then one row per response, with
  its metadata columns (StartDate, Status, IPAddress, Duration, ResponseId...).
- :func:`google_forms_xlsx`: a Google Forms response sheet downloaded as .xlsx: a first
  ``Timestamp`` column, then one column per question titled with the question.

The free-text answers are real sentences (some in Japanese, Russian and Greek); IDs,
timestamps and ratings are the values that must never become quotes.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import openpyxl

QUALTRICS_QUESTIONS = {
    "Q1": "How old are you?",
    "Q2": "What is your job?",
    "Q3": "How satisfied are you with your grocery deliveries?",
    "Q4": "How likely are you to recommend us to a friend? (0-10)",
    "Q5": "What frustrates you most about grocery delivery?",
    "Q6": "If you could change one thing about the app, what would it be?",
}
QUALTRICS_METADATA = [
    ("StartDate", "Start Date", '{"ImportId":"startDate","timezone":"America/Denver"}'),
    ("EndDate", "End Date", '{"ImportId":"endDate","timezone":"America/Denver"}'),
    ("Status", "Response Type", '{"ImportId":"status"}'),
    ("IPAddress", "IP Address", '{"ImportId":"ipAddress"}'),
    ("Progress", "Progress", '{"ImportId":"progress"}'),
    ("Duration (in seconds)", "Duration (in seconds)", '{"ImportId":"duration"}'),
    ("Finished", "Finished", '{"ImportId":"finished"}'),
    ("RecordedDate", "Recorded Date", '{"ImportId":"recordedDate","timezone":"America/Denver"}'),
    ("ResponseId", "Response ID", '{"ImportId":"_recordId"}'),
    ("UserLanguage", "User Language", '{"ImportId":"userLanguage"}'),
]
QUALTRICS_RESPONSES = [
    # ResponseId, age, job, satisfaction, NPS, frustration, change
    (
        "R_1OUVd2xQ8mY3pLk",
        34,
        "Nurse",
        "Somewhat dissatisfied",
        4,
        "The delivery slots are always gone by the time my night shift ends.",
        "Let me reserve the same morning slot every week.",
    ),
    (
        "R_2XaT9bLw0cQe7Rm",
        71,
        "Retired",
        "Neither satisfied nor dissatisfied",
        6,
        "The writing in the app is far too small and the buttons sit too close together.",
        "A phone number where a real person answers.",
    ),
    (
        "R_3kPz8WmN1sYd4Hq",
        23,
        "Student",
        "Somewhat satisfied",
        8,
        "Small orders cost almost six euros in fees, so we wait and order together.",
        "Split the bill between flatmates automatically.",
    ),
    (
        "R_4JhQ2rVb6nLx9Ws",
        41,
        "Teacher",
        "Extremely dissatisfied",
        1,
        "配達が遅れて、冷凍食品が溶けていました。",
        "Уведомление за час до доставки было бы очень полезно.",
    ),
    (
        "R_5MnB7cXz3vTq1Ke",
        29,
        "Designer",
        "Somewhat satisfied",
        9,
        "Η εφαρμογή κρύβει την τιμή ανά κιλό στο κινητό.",
        "",
    ),
]


def qualtrics_xlsx() -> bytes:
    """A Qualtrics Excel export of :data:`QUALTRICS_RESPONSES` (sheet ``Sheet0``)."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Sheet0"
    names = [m[0] for m in QUALTRICS_METADATA] + list(QUALTRICS_QUESTIONS)
    texts = [m[1] for m in QUALTRICS_METADATA] + list(QUALTRICS_QUESTIONS.values())
    imports = [m[2] for m in QUALTRICS_METADATA] + [
        f'{{"ImportId":"QID{n}"}}' if n < 5 else f'{{"ImportId":"QID{n}_TEXT"}}'
        for n in range(1, 7)
    ]
    sheet.append(names)
    sheet.append(texts)
    sheet.append(imports)
    start = datetime(2026, 3, 2, 8, 15, 0)
    for number, (rid, age, job, satisfied, nps, frustration, change) in enumerate(
        QUALTRICS_RESPONSES
    ):
        began = start + timedelta(hours=5 * number)
        ended = began + timedelta(minutes=6, seconds=13 * number)
        sheet.append(
            [
                began,
                ended,
                "IP Address",
                f"192.0.2.{10 + number}",
                100,
                int((ended - began).total_seconds()),
                True,
                ended,
                rid,
                "EN",
                age,
                job,
                satisfied,
                nps,
                frustration,
                change or None,
            ]
        )
    return _save(book)


GOOGLE_QUESTIONS = (
    "Timestamp",
    "How often do you order groceries online?",
    "What is the biggest problem with your current grocery app?",
    "How satisfied are you overall? (1 = not at all, 5 = very)",
    "Anything else you would like to tell us?",
)
GOOGLE_RESPONSES = [
    (
        "Weekly",
        "Substitutions ignore my son's nut allergy every other week.",
        2,
        "I would pay a little extra for a guaranteed morning slot.",
    ),
    ("Monthly", "The checkout keeps logging me out before I can pay.", 3, ""),
    (
        "Weekly",
        "Delivery fees punish small orders, so I only order once a month.",
        2,
        "Show the unit price on the phone app, please.",
    ),
    ("Rarely", "I never know when the driver will arrive.", 1, ""),
]


def google_forms_xlsx() -> bytes:
    """A Google Forms response sheet of :data:`GOOGLE_RESPONSES` (sheet ``Form Responses 1``)."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Form Responses 1"
    sheet.append(list(GOOGLE_QUESTIONS))
    start = datetime(2026, 4, 7, 19, 2, 11)
    for number, (often, problem, score, more) in enumerate(GOOGLE_RESPONSES):
        at = start + timedelta(hours=3 * number, minutes=7 * number)
        sheet.append([at, often, problem, score, more or None])
    return _save(book)


def _save(book: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
