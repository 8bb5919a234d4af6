"""The exit codes of the ``persona`` command, for scripts."""

EXIT_OK = 0
"""Done as asked."""
EXIT_FAIL = 1
"""Stopped on a problem the message explains, or done with some of it not possible."""
EXIT_CANCELLED = 130
"""Stopped by the user (Ctrl-C), as a shell reports it."""
