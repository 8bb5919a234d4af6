"""One exception tree for everything Persona raises.

Callers catch :class:`PersonaError`; subclasses exist only where a caller does
something different (offer a pull, show install steps, keep a draft...).
Every message says what happened *and* what to do next.
"""

from __future__ import annotations


class PersonaError(Exception):
    """Root of every error Persona raises on purpose."""


class InputError(PersonaError):
    """The user's input (a file, an option, a name) cannot be used as given."""


class ConfigError(PersonaError):
    """A setting (environment variable, settings file or option) has a value Persona cannot use.

    The message names the setting, the value and the values it accepts.
    """

    def __init__(self, name: str, value: object, accepted: str) -> None:
        self.name = name
        self.value = value
        self.accepted = accepted
        super().__init__(f"{name} is set to {value!r}, which Persona cannot use: {accepted}.")


class StoreError(PersonaError):
    """History (the local SQLite store) cannot be read or written."""


# --- Engines ----------------------------------------------------------------

SETTINGS_PAGE = "the Settings page"
"""Where every engine setting can be changed; messages that point to a setting name it."""


class EngineError(PersonaError):
    """Talking to a model engine (Ollama, an OpenAI-compatible server, the built-in engine)
    failed."""


class EngineUnreachable(EngineError):
    """Nothing answers at the engine's address: it is not running, or the address is wrong."""

    def __init__(self, engine: str, address: str, detail: str = "", hint: str = "") -> None:
        self.engine = engine
        self.address = address
        self.host = address
        self.detail = detail
        because = f" ({detail})" if detail else ""
        super().__init__(
            f"{engine} is not running, or not reachable at {address}: nothing answered"
            f"{because}. "
            + (hint or f"Start it, or correct the address on {SETTINGS_PAGE}, then try again.")
        )


class EngineNotInstalled(EngineError):
    """The engine's own software is not installed here (the built-in engine without
    llama-cpp-python): the pages offer to install it, or Ollama instead."""


class InstallFailed(EngineError):
    """Installing the built-in engine failed; ``log`` is the end of pip's output, for the
    page to show under the message."""

    def __init__(self, message: str, log: tuple[str, ...] = ()) -> None:
        self.log = log
        super().__init__(message)


class EngineTimeout(EngineError):
    """The engine is running and took the request, but did not answer in time."""

    def __init__(
        self, engine: str, address: str, phase: str, seconds: float | None, hint: str = ""
    ) -> None:
        self.engine = engine
        self.address = address
        self.host = address
        self.phase = phase
        self.seconds = seconds
        limit = f" within {seconds:g} s" if seconds else ""
        super().__init__(
            f"{engine} at {address} is running but did not {phase}{limit}. "
            + (
                hint
                or "A large model may still be loading: wait a moment and try again, pick a "
                f"smaller model, or raise the timeouts on {SETTINGS_PAGE}."
            )
        )


class EngineServerError(EngineError):
    """The engine is running and answered, but with an error."""

    def __init__(
        self, engine: str, status: int | None, message: str, *, address: str = "", hint: str = ""
    ) -> None:
        self.engine = engine
        self.status = status
        self.message = message
        self.address = address
        where = f"HTTP {status}" if status else "during the answer"
        at = f" at {address}" if address else ""
        super().__init__(
            f"{engine}{at} is running but reported an error ({where}): {message}"
            + (f" {hint}" if hint else "")
        )


class ModelNotFound(EngineError):
    """The named model is not there (not installed, not served, not in the models folder)."""

    def __init__(
        self, model: str, detail: str = "", *, engine: str = "Ollama", hint: str = ""
    ) -> None:
        self.model = model
        self.detail = detail
        self.engine = engine
        super().__init__(
            f"The model '{model}' is not "
            + ("installed in Ollama" if engine == "Ollama" else f"available in {engine}")
            + ". "
            + (hint or f"Pull it first (Hardware & models page, or `persona pull {model}`).")
        )


# --- Ollama -----------------------------------------------------------------


class OllamaError(EngineError):
    """Something went wrong talking to an Ollama server."""


class OllamaUnreachable(OllamaError, EngineUnreachable):
    """Nothing answers at the Ollama address."""

    def __init__(self, host: str, detail: str = "") -> None:
        EngineUnreachable.__init__(
            self,
            "Ollama",
            host,
            detail,
            hint="Install it from https://ollama.com/download, start it (open the Ollama app, "
            "or run `ollama serve`), then try again. If it runs elsewhere, set its address on "
            f"{SETTINGS_PAGE} or in OLLAMA_HOST.",
        )


class OllamaTimeout(OllamaError, EngineTimeout):
    """Ollama accepted the request but did not answer in time."""

    def __init__(self, host: str, phase: str, seconds: float | None) -> None:
        EngineTimeout.__init__(self, "Ollama", host, phase, seconds)


class OllamaServerError(OllamaError, EngineServerError):
    """Ollama answered with an error: an HTTP error status or `{"error": ...}` in a stream."""

    def __init__(self, status: int | None, message: str, *, host: str = "") -> None:
        EngineServerError.__init__(self, "Ollama", status, message, address=host)


# --- Generation -------------------------------------------------------------


class GenerationError(PersonaError):
    """The model's answers could not be turned into valid personas."""

    def __init__(self, message: str, raw: str = "") -> None:
        self.raw = raw
        super().__init__(message)


class PromptTruncated(GenerationError):
    """The engine cut (or refused) the prompt at its context limit, so no answer about all the
    data came back."""

    def __init__(self, engine: str, num_ctx: int, *, refused: bool = False) -> None:
        self.engine = engine
        self.num_ctx = num_ctx
        what = "cannot take the prompt within" if refused else "cut the prompt at"
        super().__init__(
            f"{engine} {what} the context limit ({num_ctx:,} tokens): the data "
            "holds more tokens than Persona estimated. Nothing was kept from this answer. "
            "Choose a model with a longer context or upload fewer files."
        )


# --- Frontier (Claude) ------------------------------------------------------


class FrontierError(PersonaError):
    """The hybrid refinement step with a frontier model failed; drafts are kept."""


class FrontierAuthError(FrontierError):
    """The API key was missing or rejected."""


class FrontierRateLimited(FrontierError):
    """The provider is rate limiting or overloaded even after retries."""


class BudgetExceeded(FrontierError):
    """A further call would cross the user's cost cap."""


class UnusableAnswer(FrontierError):
    """The frontier model answered (and billed the tokens) but gave no usable persona: a
    refusal, an answer cut off, or one that still broke the schema after a repair. The draft
    is kept."""

    def __init__(self, message: str, input_tokens: int, output_tokens: int) -> None:
        super().__init__(message)
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
