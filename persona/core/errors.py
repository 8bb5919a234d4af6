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


# --- Ollama -----------------------------------------------------------------


class OllamaError(PersonaError):
    """Something went wrong talking to the local Ollama server."""


class OllamaUnreachable(OllamaError):
    """Nothing answers at the Ollama address."""

    def __init__(self, host: str, detail: str = "") -> None:
        self.host = host
        self.detail = detail
        super().__init__(
            f"Ollama is not reachable at {host}. Install it from https://ollama.com/download, "
            "start it (open the Ollama app, or run `ollama serve`), then try again. "
            "If it runs elsewhere, set OLLAMA_HOST." + (f" ({detail})" if detail else "")
        )


class OllamaTimeout(OllamaError):
    """Ollama accepted the request but did not answer in time."""

    def __init__(self, host: str, phase: str, seconds: float | None) -> None:
        self.host = host
        self.phase = phase
        self.seconds = seconds
        limit = f" within {seconds:g} s" if seconds else ""
        super().__init__(
            f"Ollama at {host} did not {phase}{limit}. A large model may still be loading: "
            "wait a moment and try again, or pick a smaller model."
        )


class ModelNotFound(OllamaError):
    """The named model is not installed (or does not exist in the library)."""

    def __init__(self, model: str, detail: str = "") -> None:
        self.model = model
        self.detail = detail
        super().__init__(
            f"The model '{model}' is not installed in Ollama. Pull it first "
            f"(Hardware & Models page, or `persona pull {model}`)."
        )


class OllamaServerError(OllamaError):
    """Ollama answered with an error: an HTTP error status or `{"error": ...}` in a stream."""

    def __init__(self, status: int | None, message: str) -> None:
        self.status = status
        self.message = message
        where = f"HTTP {status}" if status else "during the stream"
        super().__init__(f"Ollama reported an error ({where}): {message}")


# --- Generation -------------------------------------------------------------


class GenerationError(PersonaError):
    """The model's answers could not be turned into valid personas."""

    def __init__(self, message: str, raw: str = "") -> None:
        self.raw = raw
        super().__init__(message)


class PromptTruncated(GenerationError):
    """The engine cut the prompt at its context limit, so the answer is not about all the data."""

    def __init__(self, engine: str, num_ctx: int) -> None:
        self.engine = engine
        self.num_ctx = num_ctx
        super().__init__(
            f"{engine} cut the prompt at the context limit ({num_ctx:,} tokens): the data "
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
