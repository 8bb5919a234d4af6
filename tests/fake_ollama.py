"""A local, protocol-faithful Ollama server for tests (standard library only).

In-process::

    with FakeOllama(models=["llama3.2:3b"]) as srv:
        srv.queue_reply('{"personas": []}')
        requests.post(f"{srv.url}/api/chat", json={...})
        srv.log("/api/chat")[-1].body

As a subprocess (browser tests)::

    python -m tests.fake_ollama --port 0 --scenario ok [--real-model]

prints ``READY http://127.0.0.1:PORT`` once listening and serves until SIGTERM/SIGINT. A running
server is steered over HTTP with ``POST /_fake/scenario {"scenario", "times"}``,
``POST /_fake/replies {"replies": [...]}``, ``POST /_fake/token_delay {"seconds"}`` and read
with ``GET /_fake/log``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import itertools
import json
import math
import re
import signal
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import responses

OLLAMA_VERSION = "0.12.6"
OOM_ERROR = "model requires more system memory (7.5 GiB) than is available (5.2 GiB)"
BUSY_ERROR = "server busy, please try again.  maximum pending requests exceeded"
STREAM_ERROR = "an error was encountered while running the model: unexpected EOF"
MANIFEST_ERROR = "pull model manifest: file does not exist"
RETRY_ERROR = (
    'max retries exceeded: Get "https://registry.ollama.ai/v2/library/blobs/sha256": '
    "dial tcp: lookup registry.ollama.ai: no such host"
)

SCENARIOS: dict[str, str] = {
    "ok": "everything works",
    "oom": "generate/chat answer 500 with an out-of-memory error",
    "busy": "generate/chat answer 503: the queue is full",
    "stream_error": "generate/chat stream a few chunks, then an {'error': ...} chunk",
    "stream_cut": "generate/chat/pull stream a little, then drop the connection (no done chunk)",
    "no_done": "generate/chat stream a few chunks, then end cleanly without a done chunk",
    "slow_first_byte": "generate/chat wait first_byte_delay seconds before sending headers",
    "pull_error": "pulls fail with 'max retries exceeded' after some progress",
}
_SCENARIO_TARGETS: dict[str, frozenset[str]] = {
    "oom": frozenset({"generate", "chat"}),
    "busy": frozenset({"generate", "chat"}),
    "stream_error": frozenset({"generate", "chat"}),
    "stream_cut": frozenset({"generate", "chat", "pull"}),
    "no_done": frozenset({"generate", "chat"}),
    "slow_first_byte": frozenset({"generate", "chat"}),
    "pull_error": frozenset({"pull"}),
}
FAULT_AFTER_CHUNKS = 3
"""Stream faults strike after this many content chunks."""

_FOREVER_SECONDS = 9_223_372_036.0
"""Go's largest duration: what Ollama reports as the expiry of a model kept alive forever."""


def _timestamp(at: float | None = None) -> str:
    """An RFC 3339 UTC timestamp with nanoseconds, formatted like Go's ``time.RFC3339Nano``."""
    ns = time.time_ns() if at is None else int(at * 1_000_000_000)
    seconds, fraction = divmod(ns, 1_000_000_000)
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    digits = f"{fraction:09d}".rstrip("0")
    return f"{base}.{digits}Z" if digits else f"{base}Z"


def normalize_name(name: str) -> str:
    """Ollama's canonical model name: a missing tag means ``latest``."""
    name = name.strip()
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def estimate_tokens(text: str) -> int:
    """A rough token count: four characters per token."""
    return max(1, math.ceil(len(text) / 4))


@dataclass(frozen=True)
class ModelSpec:
    """What the fake knows about one model: enough for tags, show, ps and sizing."""

    name: str
    size: int
    parameter_size: str
    quantization_level: str
    parameter_count: int
    context_length: int
    block_count: int
    head_count: int
    head_count_kv: int
    embedding_length: int
    family: str = "llama"
    architecture: str = "llama"
    capabilities: tuple[str, ...] = ("completion", "tools")

    @property
    def digest(self) -> str:
        """The manifest digest, bare hex as ``/api/tags`` shows it."""
        return hashlib.sha256(self.name.encode()).hexdigest()

    def details(self) -> dict[str, Any]:
        """The ``details`` object shared by tags, show and ps."""
        return {
            "parent_model": "",
            "format": "gguf",
            "family": self.family,
            "families": [self.family],
            "parameter_size": self.parameter_size,
            "quantization_level": self.quantization_level,
        }

    def model_info(self) -> dict[str, Any]:
        """GGUF metadata as ``/api/show`` returns it under ``model_info``."""
        arch = self.architecture
        return {
            "general.architecture": arch,
            "general.parameter_count": self.parameter_count,
            "general.file_type": 15,
            f"{arch}.context_length": self.context_length,
            f"{arch}.block_count": self.block_count,
            f"{arch}.attention.head_count": self.head_count,
            f"{arch}.attention.head_count_kv": self.head_count_kv,
            f"{arch}.embedding_length": self.embedding_length,
        }

    def kv_cache_bytes(self, num_ctx: int) -> int:
        """An f16 KV cache for ``num_ctx`` tokens."""
        head_dim = self.embedding_length // self.head_count
        return 2 * self.block_count * self.head_count_kv * head_dim * num_ctx * 2


LIBRARY: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("llama3.2:1b", 1_321_098_329, "1.2B", "Q8_0", 1_235_814_432, 131_072, 16, 32, 8,
                  2048),
        ModelSpec("llama3.2:3b", 2_019_393_189, "3.2B", "Q4_K_M", 3_212_749_888, 131_072, 28, 24,
                  8, 3072),
        ModelSpec("llama3.1:8b", 4_920_753_328, "8.0B", "Q4_K_M", 8_030_261_248, 131_072, 32, 32,
                  8, 4096),
        ModelSpec("mistral:7b", 4_372_824_384, "7.2B", "Q4_K_M", 7_248_023_552, 32_768, 32, 32, 8,
                  4096),
        ModelSpec("qwen2.5:7b", 4_683_087_332, "7.6B", "Q4_K_M", 7_615_616_512, 32_768, 28, 28, 4,
                  3584, family="qwen2", architecture="qwen2"),
        ModelSpec("gemma3:4b", 3_338_801_804, "4.3B", "Q4_K_M", 4_299_915_632, 131_072, 34, 8, 4,
                  2560, family="gemma3", architecture="gemma3",
                  capabilities=("completion", "vision")),
        ModelSpec("smollm2:135m", 270_898_672, "134.52M", "F16", 134_515_008, 8192, 30, 9, 3, 576),
    )
}  # fmt: skip
"""Models a pull can fetch. Anything else answers 'file does not exist'."""

DEFAULT_MODELS: tuple[str, ...] = ("llama3.2:3b", "mistral:7b")


@dataclass
class BrainRequest:
    """What a brain sees of one generate/chat call."""

    endpoint: str
    model: str
    messages: list[dict[str, Any]]
    format: Any = None
    options: dict[str, Any] = field(default_factory=dict)
    done_reason: str = "stop"
    """A brain sets ``"length"`` here when it stopped at its token limit."""

    @property
    def user_text(self) -> str:
        """Everything the user said (where the research data lives)."""
        return "\n".join(_content(m) for m in self.messages if m.get("role") == "user")

    @property
    def full_text(self) -> str:
        """Every message, system prompt included."""
        return "\n".join(_content(m) for m in self.messages)


def _content(message: dict[str, Any]) -> str:
    content = message.get("content")
    return content if isinstance(content, str) else ""


Brain = Callable[[BrainRequest], "str | Iterable[str]"]
"""Returns the whole reply (chunked by the server) or an iterable of pieces to stream as-is."""


def constant_brain(text: str) -> Brain:
    """A brain that always answers ``text`` (e.g. ``"x" * 2000`` with ``chunk_chars=1``)."""
    return lambda _request: text


# --- The deterministic schema brain -------------------------------------------------------------


@dataclass(frozen=True)
class DataLine:
    """One line of research data found in a prompt, with its citation when the prompt gave one."""

    text: str
    source: str = ""
    locator: str = ""


_BLOCK_WORDS = "data|document|source|research|transcript|excerpt|passage|finding"
_DATA_BLOCK = re.compile(
    rf"<(?P<tag>[\w-]*(?:{_BLOCK_WORDS})[\w-]*)>(?P<body>.*?)</(?P=tag)>",
    re.IGNORECASE | re.DOTALL,
)
_FENCE = re.compile(r"```[^\n]*\n(.*?)```", re.DOTALL)
_FILE_HEADER = re.compile(r"^#+\s*(?:file|source|document)\s*:\s*(?P<source>.+)$", re.IGNORECASE)
_CITED = re.compile(r"^\[(?P<cite>[^\]]+)\]\s*(?P<text>\S.*)$")
_LOCATED = re.compile(
    r"^(?P<locator>(?:line|lines|row|rows|page|pages|para|paragraph|cell|slide|turn|segment)"
    r"\s*\d[\w.,–-]*(?:,\s[^:]{1,60})?):\s*(?P<text>\S.*)$",
    re.IGNORECASE,
)
_RECORD_QUOTE = re.compile(r'quote:\s*"(?P<quote>[^"]+)"')
_RECORD_FIELD = re.compile(r"\b(?P<key>source|locator):\s*(?P<value>[^|]*)")
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}  # fmt: skip
_NAMES = (
    "Maya Lindqvist", "Tomás Okafor", "Priya Raman", "Jonas Becker", "Aiko Tanaka",
    "Lucía Fernández", "Samuel Osei", "Hannah Kowalski", "Ingrid Solberg", "Mateo Quiroga",
    "Noor Haddad", "Elias Varga", "Yara Costa", "Finn Odegaard", "Leila Nasser", "Oskar Lind",
)  # fmt: skip
_MAX_DEPTH = 12


def data_lines(text: str) -> list[DataLine]:
    """The lines of research data in a prompt, each with its citation when the prompt gives one.

    Data is read from ``<…data…>``/``<…findings…>``-like tag blocks, else ``` fences, else the
    whole text. Understood line forms: ``# file: NAME`` headers (set the source),
    ``line 4: text`` / ``row 2: text`` / ``row 2, Q5: text`` (locator prefix, a survey
    answer's column after the comma), ``[source, locator] text`` and
    ``… quote: "text" | source: s | locator: l`` records. Other lines are quoted whole.
    Lines of three words or more are preferred.
    """
    blocks = [m["body"] for m in _DATA_BLOCK.finditer(text)] or _FENCE.findall(text) or [text]
    lines: list[DataLine] = []
    for block in blocks:
        source = locator = ""
        for raw in block.splitlines():
            line = raw.strip()
            if not line:
                continue
            if header := _FILE_HEADER.match(line):
                source, locator = header["source"].strip(), ""
            elif record := _RECORD_QUOTE.search(line):
                found = {m["key"]: m["value"].strip() for m in _RECORD_FIELD.finditer(line)}
                record_source = found.get("source", source)
                lines.append(DataLine(record["quote"], record_source, found.get("locator", "")))
            elif cited := _CITED.match(line):
                cite_source, _, cite_locator = cited["cite"].rpartition(", ")
                if not cite_source:
                    cite_source, cite_locator = cite_locator, ""
                lines.append(DataLine(cited["text"], cite_source.strip(), cite_locator.strip()))
            elif located := _LOCATED.match(line):
                locator = located["locator"]
                lines.append(DataLine(located["text"], source, locator))
            else:
                lines.append(DataLine(line, source, locator))
    wordy = [line for line in lines if len(line.text.split()) >= 3]
    return wordy or lines


class SchemaBrain:
    """The default brain: deterministic replies built from the prompt.

    With a JSON-schema ``format`` it returns JSON valid for that schema: objects, arrays
    (``minItems``/``maxItems``, or a count asked for in the prompt such as "3 personas"),
    strings, numbers, enums (cycling through their values), ``$ref``/``$defs``, ``anyOf``.
    String fields named ``quote`` hold real lines of the prompt's data (sibling
    ``source``/``locator`` get their citation); ``span`` fields are left empty; a chat
    ``answer`` is the words of one passage, and its ``cited`` IDs that passage's.
    ``format: "json"`` gives ``{"answer": <first data line>}``; no format gives plain text.
    """

    def __call__(self, request: BrainRequest) -> str:
        lines = data_lines(request.user_text)
        text = request.user_text
        already = re.search(r"Personas already written[^\n]*", text)
        written = (already[0].count("); ") + 1 if already else 0) + text.count("are kept:")
        if written and lines:  # asked for a different person: start from other data
            shift = written * max(1, len(lines) // 3)
            lines = lines[shift % len(lines) :] + lines[: shift % len(lines)]
        if isinstance(request.format, dict):
            filler = _SchemaFiller(request.format, lines, request.full_text)
            return json.dumps(filler.value(request.format, "", 0), ensure_ascii=False)
        first = lines[0].text if lines else ""
        if request.format == "json":
            return json.dumps({"answer": first}, ensure_ascii=False)
        return f"This is a reply from the fake Ollama server about: {first}"


class _SchemaFiller:
    """Builds one JSON value valid for a schema, filling strings from the prompt's data."""

    def __init__(self, root: dict[str, Any], lines: list[DataLine], instructions: str) -> None:
        self.root = root
        self.lines = lines or [DataLine("No research data was given.")]
        self.instructions = instructions
        self._pool = self.lines
        self._cursor = 0
        self._partitioned = False
        self._counter = itertools.count()
        self._enums = itertools.count()
        self._names: set[str] = set()
        self._answered: DataLine | None = None
        """The data line a chat ``answer`` was written from (its ``cited`` is that line's)."""

    def resolve(self, node: Any) -> dict[str, Any]:
        """Follow local ``$ref`` pointers; keys next to a ``$ref`` are kept."""
        if not isinstance(node, dict):
            return {}
        while "$ref" in node:
            target: Any = self.root
            for part in node["$ref"].removeprefix("#").strip("/").split("/"):
                if part:
                    target = target[part.replace("~1", "/").replace("~0", "~")]
            node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return node

    def value(self, node: Any, name: str, depth: int) -> Any:
        """A value for ``node``; ``name`` is the property it fills (guides string content)."""
        node = self.resolve(node)
        if "const" in node:
            return node["const"]
        if node.get("enum"):
            values = node["enum"]
            if name == "cited" and self._answered and self._answered.source in values:
                return self._answered.source  # a chat answer cites the passage it says
            # cycle, so list items (cited passage IDs) differ
            return values[next(self._enums) % len(values)]
        for key in ("anyOf", "oneOf"):
            if node.get(key):
                options = [o for o in node[key] if self.resolve(o).get("type") != "null"]
                return self.value((options or node[key])[0], name, depth)
        if node.get("allOf"):
            merged: dict[str, Any] = {}
            for part in node["allOf"]:
                merged.update(self.resolve(part))
            return self.value(merged, name, depth)
        kind = node.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None:
            kind = "object" if "properties" in node else "array" if "items" in node else "string"
        if kind == "object":
            return self.object(node, depth)
        if kind == "array":
            return self.array(node, name, depth)
        if kind == "integer":
            return int(self.number(node, 1))
        if kind == "number":
            return self.number(node, 0.5)
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        return self.string(node, name)

    def object(self, node: dict[str, Any], depth: int) -> dict[str, Any]:
        props: dict[str, Any] = node.get("properties") or {}
        required = set(node.get("required", props))
        out: dict[str, Any] = {}
        line: DataLine | None = None
        if self._is_string(props.get("quote")):
            line = self.take_line()
            out["quote"] = self.fit(line.text, props["quote"])
        for key, sub in props.items():
            if key in out or (depth > _MAX_DEPTH and key not in required):
                continue
            if line is not None and key in ("source", "locator") and self._is_string(sub):
                out[key] = getattr(line, key)
            else:
                out[key] = self.value(sub, key, depth + 1)
        return {key: out[key] for key in props if key in out}

    def array(self, node: dict[str, Any], name: str, depth: int) -> list[Any]:
        low = int(node.get("minItems", 0))
        count = low if depth > _MAX_DEPTH else max(low, self.requested_count(name) or 1)
        if "maxItems" in node:
            count = min(count, int(node["maxItems"]))
        items = node.get("items", {})
        if self._partitioned or count < 2 or "properties" not in self.resolve(items):
            return [self.value(items, name, depth + 1) for _ in range(count)]
        # The outermost list of objects (e.g. personas): each item draws on its own lines.
        self._partitioned = True
        values = []
        for index in range(count):
            self._pool = self.lines[index::count] or [self.lines[index % len(self.lines)]]
            self._cursor = 0
            values.append(self.value(items, name, depth + 1))
        self._pool, self._partitioned = self.lines, False
        return values

    def take_line(self) -> DataLine:
        """The next data line, cycling through the current item's share of the data."""
        line = self._pool[self._cursor % len(self._pool)]
        self._cursor += 1
        return line

    def number(self, node: dict[str, Any], default: float) -> float:
        value = default
        if "minimum" in node:
            value = max(value, node["minimum"])
        if "exclusiveMinimum" in node:
            value = max(value, node["exclusiveMinimum"] + 1)
        if "maximum" in node:
            value = min(value, node["maximum"])
        return value

    def string(self, node: dict[str, Any], name: str) -> str:
        n = next(self._counter)
        key = name.lower()
        fmt = node.get("format")
        if fmt == "date-time":
            text = "2025-01-01T09:00:00Z"
        elif fmt == "date":
            text = "2025-01-01"
        elif fmt == "email":
            text = f"person{n}@example.com"
        elif key == "quote":
            text = self.take_line().text
        elif key == "span":
            text = ""  # an optional exact part of a cited passage: empty means all of it
        elif key == "answer":  # a chat answer: a passage's words, without "(who)" before them
            self._answered = self.take_line()
            text = re.sub(r"^\([^)]*\)\s*", "", self._answered.text)
        elif key == "name" or key.endswith("_name"):
            taken = set(re.findall(r"\w+", self.instructions)) | self._names
            fresh = [name for name in _NAMES if not taken & set(name.split())] or list(_NAMES)
            text = fresh[0]
            self._names.update(text.split())
        elif key == "age":
            text = str(28 + 7 * (n % 5))
        else:
            words = self.take_line().text.split()[:8]
            label = (node.get("title") or name or "value").strip()
            text = f"{label} {n + 1}: {' '.join(words)}"
        return self.fit(text, node)

    def fit(self, text: str, node: Any) -> str:
        """Clip or pad ``text`` to the schema's ``maxLength``/``minLength``."""
        node = self.resolve(node)
        if "maxLength" in node:
            text = text[: int(node["maxLength"])]
        return text.ljust(int(node.get("minLength", 0)), ".")

    def requested_count(self, name: str) -> int | None:
        """A count the instructions ask for, e.g. 'exactly 3 personas' for ``personas``."""
        if len(name) < 3:
            return None
        pattern = rf"\b(\d+|{'|'.join(_NUMBER_WORDS)})\s+(?:[\w-]+\s+){{0,2}}{re.escape(name)}\b"
        match = re.search(pattern, self.instructions, re.IGNORECASE)
        if not match:
            return None
        word = match[1].lower()
        return int(word) if word.isdigit() else _NUMBER_WORDS[word]

    def _is_string(self, node: Any) -> bool:
        return self.resolve(node).get("type") == "string"


# --- Server state -------------------------------------------------------------------------------


@dataclass
class LoggedRequest:
    """One request the fake received, and what it made of it."""

    method: str
    path: str
    body: Any
    status: int | None = None
    prompt_tokens: int | None = None
    num_ctx: int | None = None
    truncated: bool = False

    @property
    def options(self) -> dict[str, Any]:
        """The request's ``options`` (``num_ctx``, ``temperature``, ``seed``…), or ``{}``."""
        options = self.body.get("options") if isinstance(self.body, dict) else None
        return options if isinstance(options, dict) else {}


@dataclass
class _Installed:
    spec: ModelSpec
    modified_at: str


@dataclass
class _Loaded:
    expires: float
    num_ctx: int


class _Cut(Exception):
    """Raised inside a stream to drop the connection without finishing it."""


class FakeOllama:
    """An Ollama look-alike on 127.0.0.1; a context manager that serves while open."""

    def __init__(
        self,
        models: Iterable[str | ModelSpec] = DEFAULT_MODELS,
        *,
        brain: Brain | None = None,
        library: Iterable[ModelSpec] | None = None,
        scenario: str = "ok",
        port: int = 0,
        chunk_chars: int = 4,
        token_delay: float = 0.0,
        pull_delay: float = 0.0,
        pull_steps: int = 8,
        first_byte_delay: float = 2.0,
        default_num_ctx: int = 4096,
        tokens_per_second: float = 50.0,
        vram_fraction: float = 1.0,
    ) -> None:
        """Seed ``models`` (names from ``library`` or full specs); ``brain`` defaults to
        :class:`SchemaBrain`. Delays are in seconds; ``chunk_chars`` sizes streamed pieces."""
        self.library = {spec.name: spec for spec in (library or LIBRARY.values())}
        self.brain: Brain = brain or SchemaBrain()
        self.port = port
        self.chunk_chars = max(1, chunk_chars)
        self.token_delay = token_delay
        self.pull_delay = pull_delay
        self.pull_steps = max(1, pull_steps)
        self.first_byte_delay = first_byte_delay
        self.default_num_ctx = default_num_ctx
        self.tokens_per_second = tokens_per_second
        self.vram_fraction = vram_fraction
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._installed: dict[str, _Installed] = {}
        self._loaded: dict[str, _Loaded] = {}
        self._replies: deque[str] = deque()
        self._log: list[LoggedRequest] = []
        self._scenario = "ok"
        self._scenario_left: int | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        for model in models:
            self.add_model(model)
        self.set_scenario(scenario)

    # lifecycle
    def start(self) -> FakeOllama:
        """Bind and serve in a background thread."""
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", self.port), _Handler, self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and drop open connections."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.drop_connections()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeOllama:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321``."""
        return f"http://127.0.0.1:{self.port}"

    @contextlib.contextmanager
    def answering_at(self, address: str) -> Iterator[None]:
        """While open, requests made with ``requests`` to ``address`` (such as
        ``http://10.0.0.5:11434``) reach this server, as if it ran on another machine."""

        def forward(request: Any) -> tuple[int, dict[str, str], bytes]:
            path = str(request.url)[len(address) :] or "/"
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                body = request.body.encode() if isinstance(request.body, str) else request.body
                connection.request(request.method, path, body=body, headers=request.headers)
                answer = connection.getresponse()
                kept = {"Content-Type": answer.getheader("Content-Type") or "application/json"}
                return answer.status, kept, answer.read()
            finally:
                connection.close()

        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            mock.add_passthru(self.url)  # and at its own address, as before
            for method in ("GET", "POST", "DELETE", "HEAD"):
                mock.add_callback(method, re.compile(re.escape(address) + r"(/.*)?$"), forward)
            yield

    # steering
    def queue_reply(self, *replies: str) -> None:
        """Queue scripted replies; each generate/chat call takes the next before the brain."""
        with self._lock:
            self._replies.extend(replies)

    def set_scenario(self, name: str, times: int | None = None) -> None:
        """Switch the fault scenario (see ``SCENARIOS``), for ``times`` affected requests or
        for good when ``times`` is None."""
        if name not in SCENARIOS:
            raise ValueError(f"unknown scenario {name!r}; choose from {sorted(SCENARIOS)}")
        with self._lock:
            self._scenario, self._scenario_left = name, times

    @property
    def scenario(self) -> str:
        """The current scenario name."""
        return self._scenario

    def add_model(self, model: str | ModelSpec) -> None:
        """Install a model (a library name or a spec) without pulling it."""
        spec = model if isinstance(model, ModelSpec) else self.library[normalize_name(model)]
        with self._lock:
            self._installed[normalize_name(spec.name)] = _Installed(spec, _timestamp())

    def model_names(self) -> list[str]:
        """Installed model names, as ``/api/tags`` lists them."""
        with self._lock:
            return list(self._installed)

    def loaded_models(self) -> list[str]:
        """Models currently loaded (as ``/api/ps`` lists them)."""
        now = time.time()
        with self._lock:
            return [name for name, state in self._loaded.items() if state.expires > now]

    # inspection
    def log(self, path: str | None = None) -> list[LoggedRequest]:
        """Requests received so far, oldest first, optionally only those to ``path``."""
        with self._lock:
            return [r for r in self._log if path is None or r.path == path]

    def clear_log(self) -> None:
        """Forget the requests received so far."""
        with self._lock:
            self._log.clear()

    def truncations(self) -> list[LoggedRequest]:
        """Generate/chat requests whose prompt did not fit ``num_ctx`` (silently cut)."""
        return [r for r in self.log() if r.truncated]

    # internals used by the handler
    def _record(self, method: str, path: str, body: Any) -> LoggedRequest:
        entry = LoggedRequest(method, path, body)
        with self._lock:
            self._log.append(entry)
        return entry

    def _take_scenario(self, endpoint: str) -> str:
        with self._lock:
            name = self._scenario
            if endpoint not in _SCENARIO_TARGETS.get(name, frozenset()):
                return "ok"
            if self._scenario_left is not None:
                self._scenario_left -= 1
                if self._scenario_left <= 0:
                    self._scenario, self._scenario_left = "ok", None
            return name

    def _find(self, name: str) -> _Installed | None:
        with self._lock:
            return self._installed.get(normalize_name(name))

    def _remove(self, name: str) -> bool:
        key = normalize_name(name)
        with self._lock:
            self._loaded.pop(key, None)
            return self._installed.pop(key, None) is not None

    def _load(self, name: str, keep_alive: float, num_ctx: int) -> bool:
        """Mark a model loaded; True when it was not loaded before (a cold load)."""
        key = normalize_name(name)
        now = time.time()
        with self._lock:
            previous = self._loaded.get(key)
            self._loaded[key] = _Loaded(now + min(keep_alive, _FOREVER_SECONDS), num_ctx)
            return previous is None or previous.expires <= now

    def _unload(self, name: str) -> None:
        with self._lock:
            self._loaded.pop(normalize_name(name), None)

    def _ps(self) -> list[dict[str, Any]]:
        now = time.time()
        with self._lock:
            loaded = [
                (self._installed[name].spec, state)
                for name, state in self._loaded.items()
                if state.expires > now and name in self._installed
            ]
        entries = []
        for spec, state in loaded:
            size = spec.size + spec.kv_cache_bytes(state.num_ctx)
            entries.append(
                {
                    "name": spec.name,
                    "model": spec.name,
                    "size": size,
                    "digest": spec.digest,
                    "details": spec.details(),
                    "expires_at": _timestamp(state.expires),
                    "size_vram": int(size * self.vram_fraction),
                    "context_length": state.num_ctx,
                }
            )
        return entries

    def _reply_pieces(self, request: BrainRequest) -> Iterator[str]:
        with self._lock:
            queued = self._replies.popleft() if self._replies else None
        reply = queued if queued is not None else self.brain(request)
        if isinstance(reply, str):
            size = self.chunk_chars
            return (reply[i : i + size] for i in range(0, len(reply), size))
        return iter(reply)

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    def _stats(self, prompt_tokens: int, eval_count: int, cold: bool) -> dict[str, int]:
        load = 850_000_000 if cold else 12_000_000
        prompt_eval = prompt_tokens * 1_000_000
        evaluation = max(1, int(eval_count / self.tokens_per_second * 1e9))
        return {
            "total_duration": load + prompt_eval + evaluation + 2_000_000,
            "load_duration": load,
            "prompt_eval_count": prompt_tokens,
            "prompt_eval_duration": prompt_eval,
            "eval_count": eval_count,
            "eval_duration": evaluation,
        }

    def _pull_events(self, spec: ModelSpec | None, scenario: str) -> Iterator[dict[str, Any]]:
        """Pull progress as Ollama streams it; raises _Cut for the ``stream_cut`` scenario."""
        yield {"status": "pulling manifest"}
        if spec is None:
            yield {"error": MANIFEST_ERROR}
            return
        small = [1_481, 7_711, 96]
        sizes = [max(1, spec.size - sum(small)), *small]
        layers = [
            ("sha256:" + hashlib.sha256(f"{spec.name}/{i}".encode()).hexdigest(), size)
            for i, size in enumerate(sizes)
        ]
        steps = self.pull_steps
        # (start round, rounds to finish): the model layer takes every round, small ones one each.
        plan = [(0, steps)] + [(i, 1) for i in range(len(small))]
        for round_ in range(steps + 1):
            if round_ == steps // 2 + 1 and scenario == "pull_error":
                yield {"error": RETRY_ERROR}
                return
            if round_ == steps // 2 + 1 and scenario == "stream_cut":
                raise _Cut
            for (digest, total), (start, rounds) in zip(layers, plan, strict=True):
                status = f"pulling {digest[7:19]}"
                if round_ == start:
                    yield {"status": status, "digest": digest}
                elif start < round_ <= start + rounds:
                    completed = total * (round_ - start) // rounds
                    yield {
                        "status": status,
                        "digest": digest,
                        "total": total,
                        "completed": completed,
                    }
        yield {"status": "verifying sha256 digest"}
        yield {"status": "writing manifest"}
        self.add_model(spec)
        yield {"status": "removing any unused layers"}
        yield {"status": "success"}


# --- HTTP ---------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type, fake: FakeOllama) -> None:
        self.fake = fake
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        with self._connections_lock:
            self._connections.add(sock)
        return sock, address

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        """Shut down every open connection (idle keep-alive ones included)."""
        with self._connections_lock:
            connections = list(self._connections)
        for sock in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@dataclass(frozen=True)
class _Turn:
    """One generate/chat answer in progress."""

    request: BrainRequest
    scenario: str
    limit: int
    prompt_tokens: int
    cold: bool


class _BadRequest(Exception):
    """A request Ollama would answer with 400."""


def _keep_alive_seconds(value: Any) -> float:
    """Ollama's ``keep_alive``: seconds as a number, or a Go duration string; < 0 is forever."""
    if value is None:
        return 300.0
    if isinstance(value, bool):
        raise _BadRequest("invalid keep_alive")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        text = str(value).strip()
        try:
            seconds = float(text)
        except ValueError:
            units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
            parts = re.findall(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)", text)
            if not parts or "".join(n + u for n, u in parts) != text.lstrip("-+"):
                raise _BadRequest(f'time: invalid duration "{text}"') from None
            seconds = sum(float(n) * units[u] for n, u in parts)
            seconds = -seconds if text.startswith("-") else seconds
    return math.inf if seconds < 0 else seconds


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeOllama"
    disable_nagle_algorithm = True
    server: _Server
    _entry: LoggedRequest | None = None

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet; the fake's own log records requests."""

    @property
    def fake(self) -> FakeOllama:
        return self.server.fake

    # plumbing
    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        path = self.path.split("?", 1)[0]
        routes: dict[str, dict[str, Callable[[Any], None]]] = {
            "/": {"GET": self._root, "HEAD": self._root},
            "/api/version": {"GET": self._version},
            "/api/tags": {"GET": self._tags},
            "/api/show": {"POST": self._show},
            "/api/ps": {"GET": self._ps},
            "/api/pull": {"POST": self._pull},
            "/api/delete": {"DELETE": self._delete},
            "/api/generate": {"POST": lambda body: self._generate(body, "generate")},
            "/api/chat": {"POST": lambda body: self._generate(body, "chat")},
            "/_fake/scenario": {"POST": self._control_scenario},
            "/_fake/replies": {"POST": self._control_replies},
            "/_fake/token_delay": {"POST": self._control_token_delay},
            "/_fake/log": {"GET": self._control_log},
        }
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError as exc:
            body, error = raw.decode("utf-8", "replace"), str(exc)
        else:
            error = ""
        self._entry = None if path.startswith("/_fake/") else self.fake._record(method, path, body)
        try:
            if path not in routes:
                self._send_text(404, "404 page not found")
            elif method not in routes[path]:
                self._send_text(405, "405 method not allowed")
            elif error:
                self._send_json(400, {"error": f"invalid JSON body: {error}"})
            elif method in ("POST", "DELETE") and not path.startswith("/_fake/") and body is None:
                self._send_json(400, {"error": "missing request body"})
            elif body is not None and not isinstance(body, dict):
                self._send_json(400, {"error": "request body must be a JSON object"})
            else:
                routes[path][method](body or {})
        except _BadRequest as exc:
            self._send_json(400, {"error": str(exc)})
        except _Cut:
            self.close_connection = True
        except ConnectionError:
            self.close_connection = True

    def send_response(self, code: int, message: str | None = None) -> None:
        if self._entry is not None:
            self._entry.status = code
        super().send_response(code, message)

    def _send_bytes(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _send_text(self, status: int, text: str) -> None:
        self._send_bytes(status, text.encode(), "text/plain; charset=utf-8")

    def _send_json(self, status: int, payload: Any) -> None:
        self._send_bytes(status, json.dumps(payload).encode(), "application/json; charset=utf-8")

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _send_line(self, payload: dict[str, Any]) -> None:
        line = json.dumps(payload, ensure_ascii=False).encode() + b"\n"
        self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))

    def _end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")

    @staticmethod
    def _model_name(body: dict[str, Any]) -> str:
        name = body.get("model") or body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise _BadRequest("model is required")
        return name

    def _not_found(self, name: str) -> None:
        self._send_json(404, {"error": f"model '{name}' not found"})

    # endpoints
    def _root(self, _body: dict[str, Any]) -> None:
        self._send_text(200, "Ollama is running")

    def _version(self, _body: dict[str, Any]) -> None:
        self._send_json(200, {"version": OLLAMA_VERSION})

    def _tags(self, _body: dict[str, Any]) -> None:
        models = []
        for name in self.fake.model_names():
            installed = self.fake._find(name)
            if installed is None:
                continue
            spec = installed.spec
            models.append(
                {
                    "name": name,
                    "model": name,
                    "modified_at": installed.modified_at,
                    "size": spec.size,
                    "digest": spec.digest,
                    "details": spec.details(),
                }
            )
        self._send_json(200, {"models": models})

    def _show(self, body: dict[str, Any]) -> None:
        name = self._model_name(body)
        installed = self.fake._find(name)
        if installed is None:
            self._not_found(name)
            return
        spec = installed.spec
        self._send_json(
            200,
            {
                "license": "Fake license text for tests.",
                "modelfile": f'# Modelfile generated by "ollama show"\nFROM {spec.name}\n'
                'TEMPLATE """{{ .Prompt }}"""\nPARAMETER stop <|eot_id|>\n',
                "parameters": 'stop                           "<|eot_id|>"',
                "template": "{{ .Prompt }}",
                "details": spec.details(),
                "model_info": spec.model_info(),
                "capabilities": list(spec.capabilities),
                "modified_at": installed.modified_at,
            },
        )

    def _ps(self, _body: dict[str, Any]) -> None:
        self._send_json(200, {"models": self.fake._ps()})

    def _delete(self, body: dict[str, Any]) -> None:
        name = self._model_name(body)
        if self.fake._remove(name):
            self._send_bytes(200, b"", "text/plain; charset=utf-8")
        else:
            self._not_found(name)

    def _pull(self, body: dict[str, Any]) -> None:
        fake = self.fake
        name = normalize_name(self._model_name(body))
        installed = fake._find(name)
        spec = fake.library.get(name) or (installed.spec if installed else None)
        events = fake._pull_events(spec, fake._take_scenario("pull"))
        if body.get("stream", True) is False:
            last: dict[str, Any] = {}
            for event in events:
                last = event
                if "error" in event:
                    self._send_json(500, event)
                    return
            self._send_json(200, last)
            return
        self._start_stream()
        for event in events:
            self._send_line(event)
            fake._sleep(fake.pull_delay)
        self._end_stream()

    def _generate(self, body: dict[str, Any], endpoint: str) -> None:
        fake = self.fake
        name = self._model_name(body)
        if fake._find(name) is None:
            self._not_found(name)
            return
        options = body.get("options") or {}
        if not isinstance(options, dict):
            raise _BadRequest("options must be an object")
        keep_alive = _keep_alive_seconds(body.get("keep_alive"))
        num_ctx = int(options.get("num_ctx") or fake.default_num_ctx)
        messages = self._messages(body, endpoint)
        scenario = fake._take_scenario(endpoint)
        if scenario == "slow_first_byte":
            fake._sleep(fake.first_byte_delay)
        if scenario in ("oom", "busy"):
            status = 500 if scenario == "oom" else 503
            self._send_json(status, {"error": OOM_ERROR if scenario == "oom" else BUSY_ERROR})
            return
        if not (messages if endpoint == "chat" else body.get("prompt")):
            self._load_or_unload(name, endpoint, keep_alive, num_ctx)
            return
        cold = fake._load(name, keep_alive, num_ctx)
        request = BrainRequest(endpoint, name, messages, body.get("format"), options)
        estimated = estimate_tokens(request.full_text)
        prompt_tokens = min(estimated, num_ctx)
        if self._entry is not None:
            self._entry.prompt_tokens, self._entry.num_ctx = prompt_tokens, num_ctx
            self._entry.truncated = estimated > num_ctx
        try:
            pieces = fake._reply_pieces(request)
            first = next(pieces, None)
        except Exception as exc:
            self._send_json(500, {"error": str(exc)})
            return
        turn = _Turn(request, scenario, int(options.get("num_predict") or -1), prompt_tokens, cold)
        stream = itertools.chain([] if first is None else [first], pieces)
        try:
            if body.get("stream", True) is False:
                self._reply_whole(turn, stream)
            else:
                self._reply_stream(turn, stream)
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()
        if keep_alive == 0:
            fake._unload(name)

    @staticmethod
    def _messages(body: dict[str, Any], endpoint: str) -> list[dict[str, Any]]:
        if endpoint == "chat":
            messages = body.get("messages") or []
            if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
                raise _BadRequest("messages must be a list of objects")
            return messages
        prompt = body.get("prompt") or ""
        system = body.get("system") or ""
        if not isinstance(prompt, str) or not isinstance(system, str):
            raise _BadRequest("prompt and system must be strings")
        head = [{"role": "system", "content": system}] if system else []
        return [*head, {"role": "user", "content": prompt}] if prompt else head

    @staticmethod
    def _chunk(name: str, endpoint: str, text: str, done: bool) -> dict[str, Any]:
        chunk: dict[str, Any] = {"model": name, "created_at": _timestamp()}
        if endpoint == "chat":
            chunk["message"] = {"role": "assistant", "content": text}
        else:
            chunk["response"] = text
        chunk["done"] = done
        return chunk

    def _final(self, turn: _Turn, text: str, eval_count: int, reason: str) -> dict[str, Any]:
        final = self._chunk(turn.request.model, turn.request.endpoint, text, True)
        final["done_reason"] = reason
        final.update(self.fake._stats(turn.prompt_tokens, eval_count, turn.cold))
        return final

    def _load_or_unload(self, name: str, endpoint: str, keep_alive: float, num_ctx: int) -> None:
        if keep_alive == 0:
            self.fake._unload(name)
            reason = "unload"
        else:
            self.fake._load(name, keep_alive, num_ctx)
            reason = "load"
        self._send_json(200, {**self._chunk(name, endpoint, "", True), "done_reason": reason})

    def _reply_whole(self, turn: _Turn, pieces: Iterator[str]) -> None:
        if turn.scenario in ("stream_cut", "no_done"):
            raise _Cut
        if turn.scenario == "stream_error":
            self._send_json(500, {"error": STREAM_ERROR})
            return
        taken = list(itertools.islice(pieces, turn.limit if turn.limit >= 0 else None))
        cut = turn.limit >= 0 and next(pieces, None) is not None
        reason = "length" if cut else turn.request.done_reason
        self._send_json(200, self._final(turn, "".join(taken), len(taken), reason))

    def _reply_stream(self, turn: _Turn, pieces: Iterator[str]) -> None:
        fake = self.fake
        faulty = turn.scenario in ("stream_error", "stream_cut", "no_done")
        self._start_stream()
        count, cut = 0, False
        for piece in pieces:
            if count == turn.limit:
                cut = True
                break
            if faulty and count == FAULT_AFTER_CHUNKS:
                break
            self._send_line(self._chunk(turn.request.model, turn.request.endpoint, piece, False))
            count += 1
            fake._sleep(fake.token_delay)
        if turn.scenario == "stream_cut":
            raise _Cut
        if turn.scenario == "stream_error":
            self._send_line({"error": STREAM_ERROR})
        elif turn.scenario != "no_done":
            reason = "length" if cut else turn.request.done_reason
            self._send_line(self._final(turn, "", count, reason))
        self._end_stream()

    # control endpoints for a server running as a subprocess
    def _control_scenario(self, body: dict[str, Any]) -> None:
        try:
            self.fake.set_scenario(str(body.get("scenario", "ok")), body.get("times"))
        except ValueError as exc:
            raise _BadRequest(str(exc)) from None
        self._send_json(200, {"scenario": self.fake.scenario})

    def _control_replies(self, body: dict[str, Any]) -> None:
        replies = body.get("replies") or []
        if not isinstance(replies, list) or not all(isinstance(r, str) for r in replies):
            raise _BadRequest("replies must be a list of strings")
        self.fake.queue_reply(*replies)
        self._send_json(200, {"queued": len(replies)})

    def _control_token_delay(self, body: dict[str, Any]) -> None:
        seconds = body.get("seconds")
        if not isinstance(seconds, int | float) or seconds < 0:
            raise _BadRequest("seconds must be a number >= 0")
        self.fake.token_delay = float(seconds)
        self._send_json(200, {"token_delay": self.fake.token_delay})

    def _control_log(self, _body: dict[str, Any]) -> None:
        self._send_json(200, {"requests": [asdict(entry) for entry in self.fake.log()]})


# --- Command line -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run the fake as a process: prints ``READY <url>`` and serves until SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m tests.fake_ollama", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="TCP port (0 picks a free one)")
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="ok")
    parser.add_argument(
        "--real-model", action="store_true", help="answer with SmolLM2-135M via llama-cpp-python"
    )
    parser.add_argument(
        "--models", default=",".join(DEFAULT_MODELS), help="comma-separated installed models"
    )
    parser.add_argument(
        "--pull-delay", type=float, default=0.05, help="seconds between pull events"
    )
    parser.add_argument("--token-delay", type=float, default=0.0, help="seconds between chunks")
    parser.add_argument("--chunk-chars", type=int, default=4, help="characters per stream chunk")
    parser.add_argument(
        "--first-byte-delay", type=float, default=2.0, help="slow_first_byte wait in seconds"
    )
    args = parser.parse_args(argv)

    brain: Brain | None = None
    if args.real_model:
        from tests.llama_backend import LlamaBrain

        brain = LlamaBrain()
    server = FakeOllama(
        [m for m in args.models.split(",") if m.strip()],
        brain=brain,
        scenario=args.scenario,
        port=args.port,
        chunk_chars=args.chunk_chars,
        token_delay=args.token_delay,
        pull_delay=args.pull_delay,
        first_byte_delay=args.first_byte_delay,
    )
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with server:
        print(f"READY {server.url}", flush=True)
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
