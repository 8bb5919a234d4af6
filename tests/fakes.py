"""In-process fakes with queued replies, for domain tests that need no HTTP."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

from persona.documents import Passage
from persona.ollama import ChatChunk, Message, ShowResponse
from persona.tokens import estimate_tokens

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


class QueuedOllama:
    """Stands in for `OllamaClient`: answers chats from a queue and records what it was sent."""

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

    def show(self, model: str) -> ShowResponse:
        info = {"general.architecture": "llama"}
        if self.context_length:
            info["llama.context_length"] = self.context_length
        return ShowResponse(model_info=info)

    def chat_stream(
        self, model: str, messages: Sequence[dict[str, str]], **kwargs: Any
    ) -> Iterator[ChatChunk]:
        self.calls.append({"model": model, "messages": list(messages), **kwargs})
        if not self.replies:
            raise AssertionError("QueuedOllama ran out of replies")
        text = self.replies.popleft()
        for start in range(0, len(text), 7):
            yield ChatChunk(message=Message(role="assistant", content=text[start : start + 7]))
        prompt = sum(estimate_tokens(m["content"]) for m in messages)
        count = self.prompt_counts.popleft() if self.prompt_counts else prompt
        yield ChatChunk(
            message=Message(role="assistant"),
            done=True,
            done_reason=self.done_reasons.popleft() if self.done_reasons else "stop",
            prompt_eval_count=count,
            eval_count=estimate_tokens(text),
        )
