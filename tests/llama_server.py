"""``python -m llama_cpp.server`` with Persona's AMX-safe model loading, for the tests.

llama-cpp-python's server loads models itself, so the workaround in
:mod:`persona.engines.llamacpp` must be in force in its process too. Same arguments as
``python -m llama_cpp.server`` (``--model PATH --port N --host 127.0.0.1 --n_ctx N``...).
"""

from __future__ import annotations

from persona.engines.llamacpp import safe_loading


def main() -> None:
    from llama_cpp.server.__main__ import main as serve

    with safe_loading():
        serve()


if __name__ == "__main__":
    main()
