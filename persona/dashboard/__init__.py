"""The dashboard: a Streamlit app over :mod:`persona.api` (``persona ui`` starts it).

``app.py`` is the entry point Streamlit runs; ``pages/`` holds one script per page and ``ui/``
the widgets the pages share. Nothing here holds a rule of its own: every decision is made behind
:mod:`persona.api`, so the dashboard, the CLI and a notebook show the same answers.
"""
