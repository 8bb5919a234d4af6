"""In-process fakes with queued replies, for domain tests that need no HTTP."""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Generator, Mapping, Sequence
from typing import Any

from persona import api
from persona.core.documents import Passage
from persona.core.errors import OllamaUnreachable, PersonaError, PromptTruncated
from persona.core.setting_rules import EngineKind
from persona.core.tokens import estimate_tokens
from persona.engines.base import Capabilities, ChatOptions, ModelInfo, Usage
from persona.history.store import Store

PASSAGES = [
    Passage(
        "maria.md",
        "line 3",
        "Maria: I plan every meal on Sunday so the week stays calm.",
        "P1",
        "Maria",
    ),
    Passage(
        "maria.md",
        "line 5",
        "Maria: The app forgets my substitutions and I lose an hour.",
        "P2",
        "Maria",
    ),
    Passage(
        "maria.md",
        "line 7",
        "Maria: I want to spend less than 80 euros a week on food.",
        "P3",
        "Maria",
    ),
    Passage("tom.md", "line 2", "Tom: I order late at night after my shift ends.", "P4", "Tom"),
    Passage(
        "tom.md",
        "line 4",
        "Tom: Delivery slots are always full when I finally get home.",
        "P5",
        "Tom",
    ),
    Passage(
        "tom.md",
        "line 6",
        "Tom: I just want the same basket as last week with one tap.",
        "P6",
        "Tom",
    ),
]


def claim(text: str, quote: str, source: str = "", locator: str = "") -> dict[str, Any]:
    return {"text": text, "evidence": [{"quote": quote, "source": source, "locator": locator}]}


def persona_dict(name: str, role: str, passages: Sequence[Passage] = PASSAGES[:3]) -> dict:
    """A schema-valid persona whose quotes are real lines of ``passages``."""
    first, second, third = (p for p in passages[:3])
    return {
        "name": name,
        "age": "30-40",
        "role": role,
        "bio": f"{name} is a {role.lower()} who shops for a family.",
        "goals": [claim(f"{name} wants calm weeks", first.text, first.source, first.locator)],
        "pain_points": [
            claim(f"{name} loses time to errors", second.text, second.source, second.locator)
        ],
        "behaviours": [claim(f"{name} budgets food", third.text, third.source, third.locator)],
        "motivations": [],
        "quote": {"quote": first.text, "source": first.source, "locator": first.locator},
        "participants": [name.split()[0]],
    }


def personas_json(*personas: dict) -> str:
    return json.dumps({"personas": list(personas)})


def draft_dict(
    name: str, role: str, ids: Sequence[str] = ("P1", "P2", "P3"), span: str = ""
) -> dict[str, Any]:
    """A persona as the model writes it by reference: claims cite passage IDs."""
    first, second, third = ids[:3]
    return {
        "name": name,
        "age": "30-40",
        "role": role,
        "bio": f"{name} is a {role.lower()} who shops for a family.",
        "goals": [{"text": "Wants calm, planned weeks of meals", "passages": [first]}],
        "pain_points": [{"text": "Loses time when the app forgets things", "passages": [second]}],
        "behaviours": [{"text": "Keeps a tight weekly food budget", "passages": [third]}],
        "motivations": [],
        "quote": {"passage": first, "span": span},
    }


ANA = draft_dict("Ana Ruiz", "Nurse", ("P1", "P2", "P3"))
BEN = draft_dict("Ben Okoro", "Warehouse worker", ("P4", "P5", "P6"))
BEN["goals"][0]["text"] = "Orders late at night after a shift"
BEN["pain_points"][0]["text"] = "Finds delivery slots full when home"
BEN["behaviours"][0]["text"] = "Reorders the same basket with one tap"


def findings_json(*findings: tuple[str, str, Sequence[str]]) -> str:
    """``{"findings": [...]}`` from (kind, statement, passage IDs) triples."""
    return json.dumps(
        {
            "findings": [
                {"kind": kind, "statement": text, "passages": list(ids)}
                for kind, text, ids in findings
            ]
        }
    )


MARIA = persona_dict("Maria Planner", "Nurse", PASSAGES[:3])
TOM = persona_dict("Tom Nightshift", "Warehouse worker", PASSAGES[3:])


class QueuedEngine:
    """An in-process :class:`~persona.engines.base.Engine`: answers chats from a queue and
    records what it was sent (``model``, ``messages``, ``schema``, ``options``)."""

    kind: EngineKind = "ollama"
    capabilities = Capabilities(sized_context=True)
    label = "Queued test engine"

    def __init__(
        self,
        replies: Sequence[str] = (),
        *,
        context_length: int | None = 8192,
        prompt_counts: Sequence[int] = (),
        done_reasons: Sequence[str] = (),
        schema_enum: bool = True,
        parameters: int | None = None,
    ) -> None:
        self.replies = deque(replies)
        self.parameters = parameters
        """The model's parameter count as the engine reports it (None: not reported)."""
        self.done_reasons = deque(done_reasons)
        self.prompt_counts = deque(prompt_counts)
        self.context_length = context_length
        self.calls: list[dict[str, Any]] = []
        self.capabilities = Capabilities(sized_context=True, schema_enum=schema_enum)
        self.closed = 0
        """How many chat streams were closed before their end (cancelled or stopped)."""

    def queue(self, *replies: str) -> None:
        self.replies.extend(replies)

    def list_models(self) -> list[ModelInfo]:
        return [self.describe("test-model")]

    def describe(self, model: str) -> ModelInfo:
        return ModelInfo(name=model, context_length=self.context_length, parameters=self.parameters)

    def chat(
        self,
        model: str,
        messages: Sequence[Mapping[str, str]],
        *,
        schema: Mapping[str, Any] | None = None,
        options: ChatOptions | None = None,
    ) -> Generator[str | Usage, None, None]:
        options = options or ChatOptions()
        self.calls.append(
            {"model": model, "messages": list(messages), "schema": schema, "options": options}
        )
        if not self.replies:
            raise AssertionError("QueuedEngine ran out of replies")
        text = self.replies.popleft()
        finished = False
        try:
            for start in range(0, len(text), 7):
                yield text[start : start + 7]
            finished = True
        finally:
            if not finished:
                self.closed += 1
        prompt = sum(estimate_tokens(m["content"]) for m in messages)
        count = self.prompt_counts.popleft() if self.prompt_counts else prompt
        if options.num_ctx and count >= options.num_ctx - 1:
            raise PromptTruncated(self.label, options.num_ctx)
        reason = self.done_reasons.popleft() if self.done_reasons else "stop"
        yield Usage(
            prompt_tokens=count,
            output_tokens=estimate_tokens(text),
            stop_reason="length" if reason == "length" else "stop",
        )

    def close(self) -> None:
        pass


_ID = re.compile(r"^(P[\d.]+) ", re.MULTILINE)


def _words_of(prompt: str, pid: str) -> str:
    """A few words of the prompt's line that shows passage ``pid`` (a passage or a finding)."""
    for line in prompt.splitlines():
        if re.search(rf"(?:^|\s){re.escape(pid)}(?:\s|$)", line):
            return " ".join(re.findall(r"[^\W\d_]{4,}", re.sub(r"\bP[\d.]+\b", "", line))[-4:])
    return ""


_NAMES = ("Ana Ruiz", "Ben Okoro", "Chen Wei", "Dara Holm", "Eli Brandt", "Fay Moreau")
_PROFILES = (
    (
        "Night nurse",
        "Orders groceries during breaks",
        "Loses hours to forgotten swaps",
        "Plans every meal ahead",
    ),
    (
        "Retired teacher",
        "Reads prices without glasses",
        "Tiny grey numbers confuse him",
        "Phones his daughter for help",
    ),
    (
        "Student",
        "Splits cheap bulk orders with flatmates",
        "Minimum basket fees hurt",
        "Shares one account with friends",
    ),
    (
        "Courier",
        "Eats warm food between long routes",
        "Cold deliveries arrive late",
        "Snacks in the van at lunch",
    ),
    (
        "Chef",
        "Sources fresh herbs every morning",
        "Substitutions ruin recipes",
        "Inspects every crate on arrival",
    ),
    (
        "Pilot",
        "Stocks the fridge before trips",
        "Time zones break delivery slots",
        "Schedules orders weeks ahead",
    ),
)


class ScriptedEngine:
    """A deterministic, thread-safe engine that answers from the prompt, like a tidy model.

    Findings calls cite the IDs shown in the prompt (merges keep the findings' IDs); persona
    calls write distinct personas citing them, who they are chosen by the IDs in the prompt
    (``same_people``: always the first not named in the prompt, so calls that run at once
    write the same person). ``fail`` decides per call (by its user prompt) whether to raise;
    ``token_factor`` scales the prompt tokens it reports; ``delay`` sleeps per call (seconds).
    ``peak`` holds the most calls of each kind (``findings``, ``merge``, ``personas``) that
    were under way at once.
    """

    kind: EngineKind = "ollama"
    label = "Scripted test engine"

    def __init__(
        self,
        *,
        context_length: int = 8192,
        fail: Callable[[str], Exception | None] | None = None,
        token_factor: float = 1.0,
        delay: float = 0.0,
        schema_enum: bool = True,
        same_people: bool = False,
    ) -> None:
        self.context_length = context_length
        self.same_people = same_people
        self.peak: dict[str, int] = {}
        self._under_way: dict[str, int] = {}
        self.fail = fail
        self.token_factor = token_factor
        self.delay = delay
        self.capabilities = Capabilities(sized_context=True, schema_enum=schema_enum)
        self.calls: list[dict[str, Any]] = []
        self.closed = 0
        self._lock = threading.Lock()

    def list_models(self) -> list[ModelInfo]:
        return [self.describe("test-model")]

    def describe(self, model: str) -> ModelInfo:
        return ModelInfo(name=model, context_length=self.context_length)

    def chat(
        self,
        model: str,
        messages: Sequence[Mapping[str, str]],
        *,
        schema: Mapping[str, Any] | None = None,
        options: ChatOptions | None = None,
    ) -> Generator[str | Usage, None, None]:
        user = messages[1]["content"]
        kind = _kind(messages, schema or {})
        with self._lock:
            self.calls.append({"messages": list(messages), "schema": schema, "options": options})
            self._under_way[kind] = self._under_way.get(kind, 0) + 1
            self.peak[kind] = max(self.peak.get(kind, 0), self._under_way[kind])
        try:
            yield from self._answer_stream(messages, user, schema or {})
        finally:
            with self._lock:
                self._under_way[kind] -= 1

    def _answer_stream(
        self, messages: Sequence[Mapping[str, str]], user: str, schema: Mapping[str, Any]
    ) -> Generator[str | Usage, None, None]:
        if self.delay:
            time.sleep(self.delay)
        error = self.fail(user) if self.fail else None
        if error is not None:
            raise error
        text = self.answer(user, schema)
        finished = False
        try:
            for start in range(0, len(text), 16):
                yield text[start : start + 16]
            finished = True
        finally:
            if not finished:
                with self._lock:
                    self.closed += 1
        prompt = sum(estimate_tokens(m["content"]) for m in messages)
        yield Usage(
            prompt_tokens=int(prompt * self.token_factor),
            output_tokens=estimate_tokens(text),
            seconds=self.delay or 0.01,
            output_seconds=(self.delay or 0.01) / 2,
        )

    def close(self) -> None:
        pass

    def answer(self, user: str, schema: Mapping[str, Any]) -> str:
        props = schema.get("properties", {})
        if "findings" in props:
            ids = _ID.findall(user) or re.findall(r"\| ((?:P[\d.]+ ?)+)$", user, re.MULTILINE)
            flat = [i for group in ids for i in group.split()]
            limit = props["findings"].get("maxItems", 12)
            return findings_json(
                *[
                    ("goal", f"Participant wants to improve {_words_of(user, pid)}", [pid])
                    for pid in flat[: max(1, limit)]
                ]
            )
        ids = [i for i in _ID.findall(user)] or [
            i
            for group in re.findall(r"\| ((?:P[\d.]+ ?)+)$", user, re.MULTILINE)
            for i in group.split()
        ]
        want = props.get("personas", {}).get("maxItems", 1)
        taken = set(re.findall(r"|".join(_NAMES), user))
        # Who a model writes depends on the data it is given; ``same_people``: on nothing.
        start = 0 if self.same_people else zlib.crc32(" ".join(ids).encode()) % len(_NAMES)
        names = [n for n in (*_NAMES[start:], *_NAMES[:start]) if n not in taken]
        personas = []
        for k in range(want):
            mine = ids[k::want] or ids
            pick = [mine[j % len(mine)] for j in range(3)]
            slot = (start + len(taken) + k) % len(_PROFILES)
            role, goal, pain, habit = _PROFILES[slot]
            persona = draft_dict(names[k % len(names)], role, pick)
            # A tidy model's claims say what their passages say (so none is weak support).
            for section, text, pid in zip(
                ("goals", "pain_points", "behaviours"), (goal, pain, habit), pick, strict=True
            ):
                persona[section][0]["text"] = f"{text}: {_words_of(user, pid)}"
            personas.append(persona)
        return personas_json(*personas)


def _kind(messages: Sequence[Mapping[str, str]], schema: Mapping[str, Any]) -> str:
    """``personas``, ``merge`` or ``findings`` (a chunk's): what a call asks for."""
    if "personas" in schema.get("properties", {}):
        return "personas"
    return "merge" if "Task: merge the findings" in messages[1]["content"] else "findings"


def interrupted_run(study: str, model: str, store: Store | None = None) -> str:
    """A run of ``study`` that failed after its findings were saved: the model went away
    before writing the personas. What History and Generate offer to resume; returns its ID."""
    gone = {"on": False}

    def fail(prompt: str) -> Exception | None:
        gone["on"] = gone["on"] or bool(re.search(r"Write \d+ personas? ", prompt))
        return OllamaUnreachable("http://127.0.0.1:9") if gone["on"] else None

    store = store or Store()
    job = api.generate(
        None,
        model,
        count=2,
        engine=ScriptedEngine(context_length=2048, fail=fail),  # the study in several parts
        store=store,
        study=study,
        max_repairs=0,
        chunk_retries=0,
    )
    with contextlib.suppress(PersonaError):  # the model "went away": the run failed
        job.wait()
    run = store.get(job.run.id)
    assert run.status == "failed" and api.can_resume(run, store), run.message
    return run.id
