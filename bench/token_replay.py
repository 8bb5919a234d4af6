"""What ``llama_cpp.server`` would evaluate for a sequence of chat requests, without running it.

For :mod:`bench.context_tokens` when the real server is too slow on a loaded machine (an 8k
run is about 50,000 prompt tokens). The demo GGUF is opened for its vocabulary only, and every
request is rendered and tokenized exactly as llama-cpp-python's server does it (the GGUF's own
chat template through ``Jinja2ChatFormatter``, then ``tokenize(..., special=True)``); each is
then evaluated after the longest token prefix it shares with a sequence the server holds (its
slot and its RAM cache keep every earlier prompt with its answer, ``--cache true``), and at
least one token, as llama.cpp re-evaluates the last one to sample after a full match.
"""

from __future__ import annotations

from typing import Any

import llama_cpp
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from persona.engines.llamacpp import demo_model_path


class Replay:
    """The server's tokenizer and chat template in this process, and the token sequences a
    server with a prompt cache would hold after each request."""

    def __init__(self) -> None:
        self.model = llama_cpp.Llama(str(demo_model_path()), vocab_only=True, verbose=False)
        inner = self.model._model
        eos, bos = inner.token_eos(), inner.token_bos()
        self.formatter = Jinja2ChatFormatter(
            template=self.model.metadata["tokenizer.chat_template"],
            eos_token=inner.token_get_text(eos) if eos != -1 else "",
            bos_token=inner.token_get_text(bos) if bos != -1 else "",
        )
        self.held: list[list[int]] = []

    def tokens(self, text: str) -> int:
        """``text``'s tokens as the server's ``/extras/tokenize`` counts them."""
        return len(self.model.tokenize(text.encode("utf-8"), special=True))

    def prompt(self, messages: list[dict[str, Any]]) -> list[int]:
        """The tokens of ``messages`` as the server's chat completion renders them."""
        rendered = self.formatter(messages=messages)
        return self.model.tokenize(
            rendered.prompt.encode("utf-8"), add_bos=not rendered.added_special, special=True
        )

    def evaluate(self, messages: list[dict[str, Any]]) -> tuple[int, int]:
        """(prompt tokens, tokens evaluated) for ``messages`` after everything sent before."""
        prompt = self.prompt(messages)
        reused = max((_common(prompt, held) for held in self.held), default=0)
        self.held.append(prompt)
        return len(prompt), max(1, len(prompt) - reused)


def _common(a: list[int], b: list[int]) -> int:
    """The length of the longest common prefix of ``a`` and ``b``."""
    size = min(len(a), len(b))
    for n in range(size):
        if a[n] != b[n]:
            return n
    return size
