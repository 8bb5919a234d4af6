"""The ``persona`` command line."""

from persona.cli.commands import main

__all__ = ["main"]
