"""A local fake of Anthropic's Messages API for tests (no network, no key needed).

In-process::

    with FakeAnthropic(api_keys={"sk-ant-test"}) as fake:
        fake.push("rate_limit", "rate_limit")   # the next two /v1/messages calls fail
        client = FrontierClient("sk-ant-test", base_url=fake.url)

As a subprocess (browser tests): ``python -m tests.fake_anthropic --port 0`` prints
``READY http://127.0.0.1:PORT``; script it with ``POST /_fake/push {"scenarios": [...],
"path": "/v1/messages"}``, read ``GET /_fake/requests`` and ``GET /_fake/bills``, clear with
``POST /_fake/reset``.

Every request received is logged, token counts and failed attempts too, so a test can
assert that nothing reached it. Its brain answers a by-reference refinement request (claims
citing passage IDs), and a repair (an unusable draft with its ``problems``: the claims that
name a problem and the fields a problem names are rewritten, the rest kept); the named
scenarios make it misbehave like real models do, repairs too: fail with 429/529/500 (with
``retry-after``), change the numbers it writes and type quotes anyway (``change_numbers``),
cite IDs it was not given (``cite_unknown``), loop on one claim (``repeat_claim``), invent a
claim and cite a real passage (``invent_claim``).

When the request's schema asks for changes (it says a field left out "keeps the draft's"), the
brain's whole persona is answered as changes to the draft sent: a field equal to the draft's,
and a section that keeps every claim of the draft's in order, are left out; a claim equal to
one of the draft's is its index, any other is written out. A request
carrying several drafts (``{"drafts": [...]}``) is answered ``{"personas": [...]}``, one
entry per draft; a repair turn naming drafts (``D2``) is answered for those only. Misbehaving
batches and changes: keep indexes the draft lacks, twice (``keep_unknown``), leave a draft
out (``batch_missing``), stop at ``max_tokens`` inside the last entry (``batch_cut``), break
one entry's schema (``batch_invalid_one``).

Prompt caching as Anthropic does it: blocks marked ``cache_control`` (at most 4) end a
prefix rendered in the order schema, tools, system, messages; a prefix is cached only when it
has at least the model's minimum of tokens (:data:`MINIMUM_CACHEABLE`), for 5 minutes (or
``"ttl": "1h"``) from its last use, by an exact match, looked up at the breakpoint and up to
20 blocks before it. ``usage`` reports ``cache_creation_input_tokens`` and
``cache_read_input_tokens`` apart from the uncached ``input_tokens``; token counts ignore
caching. :meth:`FakeAnthropic.bills` is the fake's own ledger of what each answer billed,
priced at :data:`LIST_PRICES` with Anthropic's cache rates (writes 1.25× the input price for
5 minutes, 2× for an hour; reads 0.1×).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import itertools
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

MESSAGES = "/v1/messages"
COUNT_TOKENS = "/v1/messages/count_tokens"
MODELS = "/v1/models"

FAKE_MODELS: tuple[tuple[str, str], ...] = (
    ("claude-opus-4-6", "active"),
    ("claude-sonnet-4-6", "active"),
    ("claude-haiku-4-5-20251001", "active"),
    ("claude-sonnet-4-5-20250929", "deprecated"),
)
"""(id, lifecycle) served by ``GET /v1/models``; aliases like ``claude-haiku-4-5`` resolve."""

MINIMUM_CACHEABLE: dict[str, int] = {
    "claude-opus-4-6": 4096,
    "claude-sonnet-4-6": 2048,
    "claude-haiku-4-5-20251001": 4096,
    "claude-sonnet-4-5-20250929": 1024,
}
"""The fewest tokens a prefix needs to be cached, per model (Anthropic's documentation)."""
LIST_PRICES: dict[str, tuple[float, float]] = {
    "claude-opus-4-6": (5.0, 25.0),
    "claude-sonnet-4-6": (3.0, 15.0),
    "claude-haiku-4-5-20251001": (1.0, 5.0),
    "claude-sonnet-4-5-20250929": (3.0, 15.0),
}
"""USD per million input and output tokens, per model (Anthropic's list prices, 2026-11)."""
CACHE_RATES = {"5m": 1.25, "1h": 2.0, "read": 0.1}
"""Cache writes (by TTL) and reads, times the input price."""
TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}
MAX_BREAKPOINTS = 4
LOOKBACK_BLOCKS = 20

INVENTED_CLAIM = "Her brother Joaquim works at Siemens and lends her 45 dollars."
"""The claim the ``invent_claim`` scenario adds, citing a real passage; no data says it."""
UNKNOWN_IDS = ("P9999", "P4242", "Q1")
"""IDs the ``cite_unknown`` scenario cites; no request gives them."""


# --- What a request gets ------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """A successful answer: the brain's persona, optionally transformed, or ``raw`` text."""

    transform: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    raw: str | None = None
    stop_reason: str = "end_turn"
    bill_max: bool = False
    """Report ``max_tokens`` output tokens, the most the request allowed (a forced worst case)."""
    changes: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    """Applied to each answer of changes (see :func:`as_changes`)."""
    entries: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None
    """Applied to a batch answer's entries."""
    cut: bool = False
    """Stop a batch answer at ``max_tokens`` half-way through its last entry."""
    per_draft: tuple[Callable[[dict[str, Any]], dict[str, Any]], ...] = ()
    """In a batch, draft ``n`` answered by ``per_draft[n]`` (cycling); alone, by the first."""


@dataclass(frozen=True)
class Fail:
    """An error answer with Anthropic's body shape ``{"type": "error", "error": {...}}``."""

    status: int
    error_type: str
    message: str
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Slow:
    """Wait ``seconds`` (or until the server stops), then answer with ``then``."""

    seconds: float
    then: Reply | Fail = field(default_factory=Reply)


Action = Reply | Fail | Slow
RETRY_NOW = (("retry-after", "0.001"),)
"""A tiny retry-after: the SDK treats ``retry-after: 0`` as absent and backs off ~0.5-1 s."""


SECTIONS = ("goals", "pain_points", "behaviours", "motivations")


def _given(payload: dict[str, Any]) -> list[str]:
    return [str(p.get("id")) for p in payload.get("passages") or [] if isinstance(p, dict)]


def _from_passages(payload: dict[str, Any]) -> dict[str, Any]:
    """A persona written from the passages alone (what a rewrite asks for): one claim per
    passage, in turn per section, each using the passage's own words."""
    passages = [p for p in payload.get("passages") or [] if isinstance(p, dict)]
    persona: dict[str, Any] = {
        "name": "Robin Vale",
        "age": "30-45",
        "role": "Person who took part in the study",
        "bio": "Robin stands for the people in these passages and what they said about it.",
        **{section: [] for section in SECTIONS},
        "quote": {"passage": passages[0]["id"] if passages else ""},
    }
    for n, passage in enumerate(passages or [{"id": "", "text": "nothing was given"}]):
        persona[SECTIONS[n % 3]].append(_said(passage))
    for section in SECTIONS[:3]:
        if not persona[section]:
            persona[section] = [dict(persona["goals"][0])]
    return persona


def _said(passage: dict[str, Any]) -> dict[str, Any]:
    words = " ".join(str(passage.get("text", "")).split()[:12])
    return {"text": f"They said that {words}.", "passages": [passage.get("id", "")]}


def repair(payload: dict[str, Any]) -> dict[str, Any]:
    """What a repair asks for (an unusable draft with its ``problems``): each claim that names
    a problem rewritten from a passage (one it cites, else another given), the fields a
    problem names rewritten, the rest kept as the draft has it."""
    out = {k: copy.deepcopy(v) for k, v in payload["persona"].items()}
    passages = [p for p in payload.get("passages") or [] if isinstance(p, dict)]
    by_id = {str(p.get("id")): p for p in passages}
    problems = " ".join(str(p) for p in payload.get("problems") or [])
    too_like = "nearly the same role" in problems
    used: set[str] = set()
    for section in SECTIONS:
        claims = []
        for claim in out.get(section) or []:
            if not claim.pop("problem", None) and not (too_like and section in SECTIONS[:2]):
                claims.append(claim)
                continue
            cited = [by_id[i] for i in claim.get("passages") or [] if i in by_id]
            fresh = [p for p in cited + passages if p.get("id") not in used]
            if fresh:
                used.add(str(fresh[0].get("id")))
                claims.append(_said(fresh[0]))
        out[section] = claims
    if "name" in problems:
        out["name"] = "Robin Vale"
    if too_like or "role" in problems:
        out["role"] = "Person who took part in the study"
    if "bio" in problems:
        out["bio"] = "Robin stands for the people in these passages and what they said about it."
    if not isinstance(out.get("quote"), dict):
        out["quote"] = {"passage": str(passages[0].get("id")) if passages else ""}
    return out


def improve(payload: dict[str, Any]) -> dict[str, Any]:
    """The default brain: visible edits to the draft, citations kept, never a quote typed;
    like structured output, it always names a representative passage. Asked to repair (a
    draft with ``problems``), it does that (:func:`repair`); given no draft, it writes a
    persona from the passages."""
    if not isinstance(payload.get("persona"), dict):
        return _from_passages(payload)
    if payload.get("problems"):
        return repair(payload)
    out = copy.deepcopy(payload["persona"])
    given = _given(payload)
    if not isinstance(out.get("quote"), dict):
        cited = [i for s in SECTIONS for c in out.get(s) or [] for i in c.get("passages") or []]
        out["quote"] = {"passage": (cited or given or [""])[0]}
    out["bio"] = out.get("bio", "").rstrip() + " They judge every new tool by the time it saves."
    goals = out.get("goals") or []
    if goals and goals[0].get("text"):
        text = goals[0]["text"]
        goals[0]["text"] = "Above all, " + text[:1].lower() + text[1:]
    out.setdefault("motivations", []).append(
        {
            "text": "Wants to feel in control of their own work.",
            "passages": [out["quote"]["passage"]],
        }
    )
    return out


def _bump_last_number(text: str) -> str:
    """``text`` with its last number changed (6:52 becomes 6:55)."""
    found = list(re.finditer(r"\d+", text))
    if not found:
        return text
    last = found[-1]
    return text[: last.start()] + str(int(last.group()) + 3) + text[last.end() :]


def change_numbers(payload: dict[str, Any]) -> dict[str, Any]:
    """The old exploit: every number it writes is changed, and it adds quotes in words (each
    passage with its last number changed) wherever a field could hold one."""
    out = improve(payload)
    texts = {str(p.get("id")): str(p.get("text", "")) for p in payload.get("passages") or []}
    out["bio"] = _bump_last_number(out["bio"] + " They start at 6:52 and pay 15 euros.")
    for section in SECTIONS:
        for claim in out.get(section) or []:
            claim["text"] = _bump_last_number(claim["text"])
            claim["evidence"] = [
                {"quote": _bump_last_number(texts.get(i, "")), "source": "x", "locator": "y"}
                for i in claim.get("passages") or []
            ]
    passage = out["quote"]["passage"]
    out["quote"] = {"passage": passage, "quote": _bump_last_number(texts.get(passage, ""))}
    out["participants"] = ["Somebody Invented"]
    return out


def cite_unknown(payload: dict[str, Any]) -> dict[str, Any]:
    """Cites IDs it was never given, next to real ones, and one claim with only an unknown ID."""
    out = improve(payload)
    for section in SECTIONS:
        for claim in out.get(section) or []:
            claim["passages"] = [*claim.get("passages", [])[:1], UNKNOWN_IDS[0]]
    out["pain_points"].append(
        {"text": "Hates waiting for the bus in the rain.", "passages": [UNKNOWN_IDS[1]]}
    )
    out["quote"] = {"passage": UNKNOWN_IDS[2]}
    return out


def repeat_claim(payload: dict[str, Any]) -> dict[str, Any]:
    """Loops: one claim, word for word, in every slot of every section."""
    out = improve(payload)
    first = out["goals"][0]
    for section in SECTIONS:
        out[section] = [dict(first) for _ in range(3)]
    return out


def invent_claim(payload: dict[str, Any]) -> dict[str, Any]:
    """Adds :data:`INVENTED_CLAIM`, citing a real passage it was given anyway."""
    out = improve(payload)
    given = _given(payload)
    out["pain_points"].append({"text": INVENTED_CLAIM, "passages": given[:1]})
    return out


def _without_goals(payload: dict[str, Any]) -> dict[str, Any]:
    """Drops every goal (the schema wants at least one)."""
    return {**improve(payload), "goals": []}


def as_changes(persona: dict[str, Any], draft: dict[str, Any] | None) -> dict[str, Any]:
    """A whole persona as changes to ``draft`` (see the module docstring): a field equal to
    the draft's, and a section that keeps all the draft's claims in order, left out."""
    base = draft or {}
    out: dict[str, Any] = {}
    for name in ("name", "age", "role", "bio", "quote"):
        if name in persona and not (draft and persona[name] == base.get(name)):
            out[name] = persona[name]
    for section in SECTIONS:
        if section not in persona:
            continue
        had = [(c.get("text"), c.get("passages")) for c in base.get(section) or []]
        items: list[Any] = []
        for claim in persona[section]:
            found = (claim.get("text"), claim.get("passages"))
            index = had.index(found) if found in had else -1
            items.append(index if index >= 0 and index not in items else claim)
        if not (draft and items == list(range(len(had)))):
            out[section] = items
    return out


def keep_unknown(changes: dict[str, Any]) -> dict[str, Any]:
    """Keeps a goal the draft does not have, and its first pain point twice."""
    out = copy.deepcopy(changes)
    out["goals"] = [*out.get("goals", [0]), 41]
    out["pain_points"] = [0, 0, *out.get("pain_points", [])[1:]]
    return out


def _without_last(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return entries[:-1]


def _second_without_goals(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entry for draft D2 drops every goal (also when it is asked for again)."""
    return [{**e, "goals": []} if e["draft"] == "D2" else e for e in entries]


SCENARIOS: dict[str, Action] = {
    "ok": Reply(),
    "auth": Fail(401, "authentication_error", "invalid x-api-key"),
    "permission": Fail(403, "permission_error", "Your API key does not have permission."),
    "not_found": Fail(404, "not_found_error", "model: claude-nonexistent"),
    "bad_request": Fail(400, "invalid_request_error", "messages: Field required"),
    "rate_limit": Fail(429, "rate_limit_error", "Rate limit exceeded.", RETRY_NOW),
    "overloaded": Fail(529, "overloaded_error", "Overloaded", RETRY_NOW),
    "server_error": Fail(500, "api_error", "Internal server error", RETRY_NOW),
    "slow": Slow(5.0),
    "malformed": Reply(raw='{"name": "Ana Ruiz", "goals": [{"text": "Fast'),
    "invalid": Reply(transform=_without_goals),
    "change_numbers": Reply(transform=change_numbers),
    "cite_unknown": Reply(transform=cite_unknown),
    "repeat_claim": Reply(transform=repeat_claim),
    "invent_claim": Reply(transform=invent_claim),
    "refusal": Reply(raw="", stop_reason="refusal"),
    "truncated": Reply(raw='{"name": "Ana Ruiz", "bio": "Ana has', stop_reason="max_tokens"),
    "maxed_invalid": Reply(transform=_without_goals, bill_max=True),
    "maxed": Reply(bill_max=True),
    "keep_unknown": Reply(changes=keep_unknown),
    "cite_unknown_then_repeat": Reply(per_draft=(cite_unknown, repeat_claim)),
    "batch_missing": Reply(entries=_without_last),
    "batch_cut": Reply(cut=True),
    "batch_invalid_one": Reply(entries=_second_without_goals),
}
"""Named actions for :meth:`FakeAnthropic.push` and ``POST /_fake/push``."""


# --- Helpers shared with the tests ---------------------------------------------


def _strings(node: Any) -> Iterable[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


_TOKEN = re.compile(r"\w+|[^\w\s]+")


def _tokens(node: Any) -> int:
    """The fake tokenizer: each run of word characters, and each run of punctuation, is one
    token (close to Claude's on prose and JSON, and independent of Persona's estimate). A
    string is counted as written, anything else as its JSON."""
    text = node if isinstance(node, str) else json.dumps(node, ensure_ascii=False)
    return len(_TOKEN.findall(text))


def answer_tokens(answer: Any) -> int:
    """The output tokens the fake bills for an answer (text, or a tool's input)."""
    return 1 + _tokens(answer)


@dataclass(frozen=True)
class Block:
    """One piece of a request as the prompt renders it, with its cache breakpoint if any."""

    tokens: int
    key: str
    """What the block holds, without its ``cache_control``: prefixes match on it."""
    cache_control: dict[str, Any] | None


def _block(node: Any) -> Block:
    marked = node.get("cache_control") if isinstance(node, dict) else None
    content = {k: v for k, v in node.items() if k != "cache_control"} if marked else node
    if isinstance(content, dict) and content.get("type") == "text":
        text: Any = content.get("text", "")
    elif isinstance(content, dict):
        text = {k: v for k, v in content.items() if k not in ("type", "role")}
    else:
        text = content
    return Block(_tokens(text), json.dumps(content, sort_keys=True), marked or None)


def prompt_blocks(body: dict[str, Any]) -> list[Block]:
    """The request's blocks in the order the prompt renders them: the output schema, tools,
    system, then each message's content blocks."""
    nodes: list[Any] = []
    schema = (body.get("output_config") or {}).get("format")
    if schema:
        nodes.append({"type": "output_format", "format": schema})
    nodes.extend(body.get("tools") or [])
    system = body.get("system") or []
    nodes.extend([system] if isinstance(system, str) else system)
    for message in body.get("messages") or []:
        content = message.get("content", "")
        role = message.get("role", "")
        if isinstance(content, str):
            nodes.append({"type": "text", "role": role, "text": content})
        else:
            nodes.extend({**block, "role": role} for block in content)
    return [_block(node) for node in nodes]


def fake_token_count(body: dict[str, Any]) -> int:
    """The fake's token count of a request (plus one for the framing): what
    ``count_tokens`` answers, and every input token a message bills, cached or not."""
    return 1 + sum(block.tokens for block in prompt_blocks(body))


@dataclass(frozen=True)
class Bill:
    """What one answer billed, as its ``usage`` says."""

    model: str
    input_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int
    output_tokens: int
    cache_1h_tokens: int = 0
    """Of the cache writes, those kept for an hour (billed 2×)."""

    def usd(self) -> dict[str, float]:
        """Dollars by kind at :data:`LIST_PRICES` and :data:`CACHE_RATES`."""
        into, out = LIST_PRICES[self.model]
        writes_5m = self.cache_creation_input_tokens - self.cache_1h_tokens
        return {
            "input": self.input_tokens * into / 1e6,
            "cache_writes": (
                writes_5m * CACHE_RATES["5m"] + self.cache_1h_tokens * CACHE_RATES["1h"]
            )
            * into
            / 1e6,
            "cache_reads": self.cache_read_input_tokens * CACHE_RATES["read"] * into / 1e6,
            "output": self.output_tokens * out / 1e6,
        }


_SHARED = re.compile(r"<passages>\s*(\[.*?\])\s*</passages>", re.S)


def _shared_passages(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Passages listed once in the system text (a shared prefix), by ID."""
    found: dict[str, dict[str, Any]] = {}
    for text in _strings(body.get("system", "")):
        for listed in _SHARED.findall(text):
            try:
                passages = json.loads(listed)
            except ValueError:
                continue
            found.update({str(p.get("id")): p for p in passages if isinstance(p, dict)})
    return found


def find_payload(body: dict[str, Any]) -> dict[str, Any] | None:
    """The payload of a refinement request: the first JSON object in its first user message
    (``{"persona": ..., "passages": [...]}``, or ``{"problems": ..., "passages": ...}``).
    Passages given by ID only are looked up in the system text's shared ``<passages>``."""
    user = next((m for m in body.get("messages", []) if m.get("role") == "user"), None)
    text = " ".join(_strings(user.get("content", ""))) if user else ""
    decoder = json.JSONDecoder()
    for start, char in enumerate(text):
        if char != "{":
            continue
        try:
            value, _ = decoder.raw_decode(text, start)
        except ValueError:
            continue
        if isinstance(value, dict) and "passages" in value:
            shared = _shared_passages(body)
            value["passages"] = [
                shared.get(p, {"id": p, "text": ""}) if isinstance(p, str) else p
                for p in value.get("passages") or []
            ]
            return value
    return None


def find_batch(body: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The drafts of a request carrying several (``{"drafts": [...]}`` in its first user
    message), their passages looked up in the system text's shared ``<passages>``."""
    user = next((m for m in body.get("messages", []) if m.get("role") == "user"), None)
    text = " ".join(_strings(user.get("content", ""))) if user else ""
    found = re.search(r'\{\s*"drafts"', text)
    if found is None:
        return None
    start = found.start()
    try:
        value, _ = json.JSONDecoder().raw_decode(text, start)
    except ValueError:
        return None
    shared = _shared_passages(body)
    drafts = [d for d in value.get("drafts") or [] if isinstance(d, dict)]
    for draft in drafts:
        draft["passages"] = [shared.get(str(p), {"id": p, "text": ""}) for p in draft["passages"]]
    return drafts


def _repair_keys(body: dict[str, Any]) -> set[str]:
    """The drafts a repair turn asks for again (none on the first turn)."""
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    if len(users) < 2:
        return set()
    return set(re.findall(r"\bD\d+\b", " ".join(_strings(users[-1].get("content", "")))))


def _wants_changes(body: dict[str, Any]) -> bool:
    """Whether the request's schema asks for changes rather than a whole persona."""
    schema = (body.get("output_config") or {}).get("format") or {}
    return "keeps the draft's" in json.dumps(schema)


@dataclass(frozen=True)
class Recorded:
    """One request as received: every header (names lower-cased), the raw and parsed body."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    raw: str
    body: Any


# --- The server ------------------------------------------------------------------


class FakeAnthropic:
    """A threaded fake Messages API on 127.0.0.1 with scripted failures and a request log."""

    def __init__(
        self,
        *,
        api_keys: Iterable[str] | None = None,
        models: Sequence[tuple[str, str]] = FAKE_MODELS,
        page_size: int = 20,
        brain: Callable[[dict[str, Any]], dict[str, Any]] = improve,
        port: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.api_keys = set(api_keys) if api_keys is not None else None
        self.models = list(models)
        self.page_size = page_size
        self.brain = brain
        self._lock = threading.Lock()
        self._queues: dict[str, deque[Action]] = {}
        self._log: list[Recorded] = []
        self.clock = clock
        self._cache: dict[str, float] = {}
        """Cached prefixes (a digest of the model and blocks) and when each expires."""
        self._bills: list[Bill] = []
        self._ids = itertools.count(1)
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        assert isinstance(host, str)
        return f"http://{host}:{port}"

    def start(self) -> Self:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # scripting and inspection

    def push(self, *actions: str | Action, path: str = MESSAGES) -> None:
        """Queue answers for the next requests to ``path``; names come from :data:`SCENARIOS`."""
        resolved = [SCENARIOS[a] if isinstance(a, str) else a for a in actions]
        with self._lock:
            self._queues.setdefault(path, deque()).extend(resolved)

    def requests(self, path: str | None = None) -> list[Recorded]:
        """Every request received (to ``path`` only, when given), oldest first."""
        with self._lock:
            return [r for r in self._log if path is None or r.path == path]

    def count(self, path: str | None = MESSAGES) -> int:
        """How many requests reached ``path`` (all paths with ``None``)."""
        return len(self.requests(path))

    def bills(self) -> list[Bill]:
        """What each answer billed, oldest first (failed requests bill nothing)."""
        with self._lock:
            return list(self._bills)

    def reset(self) -> None:
        """Forget queued answers, the request log, the prompt cache and the bills."""
        with self._lock:
            self._queues.clear()
            self._log.clear()
            self._cache.clear()
            self._bills.clear()

    # request handling (called from handler threads)

    def _record(self, entry: Recorded) -> Action | None:
        with self._lock:
            self._log.append(entry)
            queue = self._queues.get(entry.path)
            return queue.popleft() if queue else None

    def _resolve_model(self, requested: str) -> str | None:
        for model_id, _ in self.models:
            if requested in (model_id, model_id.rsplit("-", 1)[0]):
                return model_id
        return None

    def answer(self, entry: Recorded, action: Action | None) -> tuple[int, dict[str, str], Any]:
        """Status, headers and JSON body for a recorded request."""
        key = entry.headers.get("x-api-key") or entry.headers.get("authorization", "")
        if self.api_keys is not None and key.removeprefix("Bearer ") not in self.api_keys:
            action = SCENARIOS["auth"]
        if isinstance(action, Slow):
            self._stopping.wait(action.seconds)
            action = action.then
        body = entry.body if isinstance(entry.body, dict) else {}
        model = self._resolve_model(str(body.get("model", "")))
        known = (entry.method, entry.path) in (
            ("GET", MODELS),
            ("POST", MESSAGES),
            ("POST", COUNT_TOKENS),
        )
        if not known:
            action = Fail(404, "not_found_error", f"{entry.method} {entry.path} does not exist")
        elif entry.method == "POST" and model is None and not isinstance(action, Fail):
            action = Fail(404, "not_found_error", f"model: {body.get('model')}")
        marks = sum(b.cache_control is not None for b in prompt_blocks(body))
        if entry.path != MODELS and marks > MAX_BREAKPOINTS and not isinstance(action, Fail):
            action = Fail(
                400,
                "invalid_request_error",
                f"A maximum of {MAX_BREAKPOINTS} blocks with cache_control may be provided. "
                f"Found {marks}.",
            )
        if isinstance(action, Fail):
            error = {"type": action.error_type, "message": action.message}
            return action.status, dict(action.headers), {"type": "error", "error": error}
        if entry.path == MODELS:
            return 200, {}, self._models_page(entry.query)
        if entry.path == COUNT_TOKENS:
            return 200, {}, {"input_tokens": fake_token_count(body)}
        return 200, {}, self._message(body, str(model), action or Reply())

    def _models_page(self, query: dict[str, list[str]]) -> dict[str, Any]:
        ids = [model_id for model_id, _ in self.models]
        after = query.get("after_id", [None])[0]
        start = ids.index(after) + 1 if after in ids else 0
        limit = min(int(query.get("limit", ["20"])[0]), self.page_size)
        page = self.models[start : start + limit]
        data = [
            {
                "type": "model",
                "id": model_id,
                "display_name": model_id.replace("-", " ").title(),
                "created_at": "2025-09-29T00:00:00Z",
                "lifecycle": lifecycle,
            }
            for model_id, lifecycle in page
        ]
        return {
            "data": data,
            "has_more": start + limit < len(ids),
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
        }

    def _message(self, body: dict[str, Any], model: str, reply: Reply) -> dict[str, Any]:
        stop_reason = reply.stop_reason
        if reply.raw is not None:
            answer: Any = reply.raw
        elif (drafts := find_batch(body)) is not None:
            answer, stop_reason = self._batch(body, drafts, reply)
        else:
            payload = find_payload(body)
            write = reply.per_draft[0] if reply.per_draft else reply.transform or self.brain
            answer = write(payload) if payload else "No persona found."
            if payload and _wants_changes(body):
                answer = as_changes(answer, payload.get("persona"))
                answer = reply.changes(answer) if reply.changes else answer
        choice = body.get("tool_choice") or {}
        if choice.get("type") == "tool":
            tool_input = answer if isinstance(answer, dict) else {"persona": answer}
            block = {
                "type": "tool_use",
                "id": f"toolu_fake_{next(self._ids)}",
                "name": choice.get("name", "persona"),
                "input": tool_input,
            }
            stop = "tool_use" if stop_reason == "end_turn" else stop_reason
        else:
            text = answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)
            block, stop = {"type": "text", "text": text}, stop_reason
        written = block.get("text", block.get("input"))
        output = int(body.get("max_tokens", 0)) if reply.bill_max else answer_tokens(written)
        bill = self._cache_use(body, model, output)
        return {
            "id": f"msg_fake_{next(self._ids)}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [block],
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {
                "input_tokens": bill.input_tokens,
                "cache_creation_input_tokens": bill.cache_creation_input_tokens,
                "cache_read_input_tokens": bill.cache_read_input_tokens,
                "cache_creation": {
                    "ephemeral_5m_input_tokens": bill.cache_creation_input_tokens
                    - bill.cache_1h_tokens,
                    "ephemeral_1h_input_tokens": bill.cache_1h_tokens,
                },
                "output_tokens": bill.output_tokens,
            },
        }

    def _batch(
        self, body: dict[str, Any], drafts: list[dict[str, Any]], reply: Reply
    ) -> tuple[str, str]:
        """A batch answer's text and stop reason: one entry per draft asked for."""
        asked = _repair_keys(body)
        entries = []
        for n, payload in enumerate(drafts):
            if asked and payload.get("draft") not in asked:
                continue
            write = reply.per_draft[n % len(reply.per_draft)] if reply.per_draft else None
            write = write or reply.transform or self.brain
            changes = as_changes(write(payload), payload.get("persona"))
            changes = reply.changes(changes) if reply.changes else changes
            entries.append({"draft": payload.get("draft"), **changes})
        entries = reply.entries(entries) if reply.entries else entries
        text = json.dumps({"personas": entries}, ensure_ascii=False)
        if not reply.cut or not entries:
            return text, reply.stop_reason
        last = json.dumps(entries[-1], ensure_ascii=False)
        return text[: text.rindex(last) + len(last) // 2], "max_tokens"

    def _cache_use(self, body: dict[str, Any], model: str, output: int) -> Bill:
        """Read the longest cached prefix, write the marked prefixes after it that reach the
        model's minimum, and bill the request (see the module docstring)."""
        blocks = prompt_blocks(body)
        ends, digest = [], hashlib.sha256(model.encode())
        for block in blocks:
            digest.update(block.key.encode())
            ends.append(digest.hexdigest())
        totals = list(itertools.accumulate(block.tokens for block in blocks))
        marks = [i for i, block in enumerate(blocks) if block.cache_control is not None]
        minimum = MINIMUM_CACHEABLE.get(model, 4096)
        with self._lock:
            now = self.clock()
            live = {key for key, expiry in self._cache.items() if expiry > now}
            hit = max(
                (
                    i
                    for mark in marks
                    for i in range(max(mark - LOOKBACK_BLOCKS, 0), mark + 1)
                    if ends[i] in live
                ),
                default=-1,
            )
            read = totals[hit] if hit >= 0 else 0
            written, hour = read, 0
            for mark in marks:
                ttl = str((blocks[mark].cache_control or {}).get("ttl", "5m"))
                if mark < hit or totals[mark] < minimum:
                    continue
                self._cache[ends[mark]] = now + TTL_SECONDS.get(ttl, TTL_SECONDS["5m"])
                if mark > hit:
                    hour += (totals[mark] - written) if ttl == "1h" else 0
                    written = totals[mark]
            if hit >= 0:  # a read refreshes the prefix's lifetime
                self._cache[ends[hit]] = max(self._cache[ends[hit]], now + TTL_SECONDS["5m"])
            bill = Bill(
                model,
                input_tokens=fake_token_count(body) - written,
                cache_creation_input_tokens=written - read,
                cache_read_input_tokens=read,
                output_tokens=output,
                cache_1h_tokens=hour,
            )
            self._bills.append(bill)
        return bill


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeAnthropic/1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log is :meth:`FakeAnthropic.requests`."""

    @property
    def fake(self) -> FakeAnthropic:
        return self.server.fake  # type: ignore[attr-defined]

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        if parts.path.startswith("/_fake/"):
            self._admin(parts.path, body, parse_qs(parts.query))
            return
        entry = Recorded(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query),
            headers={k.lower(): v for k, v in self.headers.items()},
            raw=raw,
            body=body,
        )
        status, headers, payload = self.fake.answer(entry, self.fake._record(entry))
        headers.setdefault("request-id", f"req_fake_{next(self.fake._ids)}")
        self._send(status, payload, headers)

    def _admin(self, path: str, body: Any, query: dict[str, list[str]]) -> None:
        body = body if isinstance(body, dict) else {}
        if path == "/_fake/push":
            unknown = [s for s in body.get("scenarios", []) if s not in SCENARIOS]
            if unknown:
                self._send(400, {"unknown": unknown, "known": sorted(SCENARIOS)})
                return
            self.fake.push(*body.get("scenarios", []), path=body.get("path", MESSAGES))
            self._send(200, {"ok": True})
        elif path == "/_fake/requests":
            only = query.get("path", [body.get("path")])[0]
            self._send(200, [asdict(r) for r in self.fake.requests(only)])
        elif path == "/_fake/bills":
            self._send(200, [asdict(b) for b in self.fake.bills()])
        elif path == "/_fake/reset":
            self.fake.reset()
            self._send(200, {"ok": True})
        else:
            known = ["/_fake/push", "/_fake/requests", "/_fake/bills", "/_fake/reset"]
            self._send(404, {"known": known})

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


def main(argv: Sequence[str] | None = None) -> None:
    """Serve until interrupted, printing ``READY <url>`` once listening."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--api-key", action="append", help="accept only these keys (repeatable)")
    parser.add_argument(
        "--scenario", action="append", default=[], choices=sorted(SCENARIOS), help="queue answers"
    )
    args = parser.parse_args(argv)
    fake = FakeAnthropic(api_keys=args.api_key, port=args.port)
    fake.push(*args.scenario)
    print(f"READY {fake.url}", flush=True)
    try:
        fake._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        fake._server.server_close()


if __name__ == "__main__":
    main()
