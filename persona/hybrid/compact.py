"""JSON as a request to Claude carries it: no indentation and no spaces between items.

Claude's tokenizer counts indentation, line breaks and spaces around punctuation; the same
data written compactly is about 30 % fewer characters and fewer tokens, billed on every
request (the preview shows the exact text sent).
"""

from __future__ import annotations

import json
from typing import Any


def compact_json(value: Any) -> str:
    """``value`` as compact JSON, non-ASCII text kept as written."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
