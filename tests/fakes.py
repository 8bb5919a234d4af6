"""In-process fakes with queued replies, for domain tests that need no HTTP."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from persona.core.documents import Passage
from persona.core.errors import PromptTruncated
from persona.core.tokens import estimate_tokens
from persona.engines.base import Capabilities, ChatOptions, EngineKind, ModelInfo, Usage

PASSAGES = [
    Passage("maria.md", "line 3", "Maria: I plan every meal on Sunday so the week stays calm."),
    Passage("maria.md", "line 5", "Maria: The app forgets my substitutions and I lose an hour."),
    Passage("maria.md", "line 7", "Maria: I want to spend less than 80 euros a week on food."),
    Passage("tom.md", "line 2", "Tom: I order late at night after my shift ends."),
    Passage("tom.md", "line 4", "Tom: Delivery slots are always full when I finally get home."),
    Passage("tom.md", "line 6", "Tom: I just want the same basket as last week with one tap."),
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
    ) -> None:
        self.replies = deque(replies)
        self.done_reasons = deque(done_reasons)
        self.prompt_counts = deque(prompt_counts)
        self.context_length = context_length
        self.calls: list[dict[str, Any]] = []

    def queue(self, *replies: str) -> None:
        self.replies.extend(replies)

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
    ) -> Iterator[str | Usage]:
        options = options or ChatOptions()
        self.calls.append(
            {"model": model, "messages": list(messages), "schema": schema, "options": options}
        )
        if not self.replies:
            raise AssertionError("QueuedEngine ran out of replies")
        text = self.replies.popleft()
        for start in range(0, len(text), 7):
            yield text[start : start + 7]
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
