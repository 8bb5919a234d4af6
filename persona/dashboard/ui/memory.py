"""Uploads leave memory when their session ends.

A session's uploads and what was read from them live in its session state and in
Streamlit's uploaded-file store (no module-level cache of Persona's holds them). Streamlit
keeps a closed tab's session for ``server.disconnectedSessionTTL`` seconds so a
reconnecting tab finds its work, and then only forgets it: it never removes the forgotten
session's uploaded files, and the C allocator keeps freed memory for reuse. A 50 MB survey
read in a few tabs kept 640 MB after the tabs were closed.

:func:`watch_session` registers the running session with one reaper thread per process.
Once a session has been disconnected for longer than Streamlit's own reconnect time, the
reaper deletes its uploaded files and its session state, collects garbage and hands free
memory back to the system.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import threading
import time
from dataclasses import dataclass

from streamlit import config
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
from streamlit.runtime.state.safe_session_state import SafeSessionState
from streamlit.runtime.state.session_state import SessionState

REAP_EVERY_S = 5.0


@dataclass
class _Watched:
    state: SessionState
    gone_since: float | None = None


_watched: dict[str, _Watched] = {}
"""Session ID → its state, until the reaper empties it: once the tab has been gone for
Streamlit's reconnect time, which is as long as Streamlit itself keeps the session."""
_lock = threading.Lock()
_reaper: threading.Thread | None = None


def watch_session() -> None:
    """Have this session's uploads and state released once its tab is gone for good."""
    global _reaper
    ctx = get_script_run_ctx()
    if ctx is None or not Runtime.exists():
        return
    watch(ctx.session_id, ctx.session_state)
    with _lock:
        if _reaper is None or not _reaper.is_alive():
            _reaper = threading.Thread(target=_reap_forever, name="persona-reaper", daemon=True)
            _reaper.start()


def watch(session_id: str, state: SafeSessionState) -> None:
    """Remember ``session_id``'s state for :func:`reap`.

    What is kept is the session's own ``SessionState``, which lives as long as the session:
    the ``SafeSessionState`` a script run sees wraps it for that run only, so a (weak)
    reference to the wrapper was dead by the time the tab was gone, and nothing was released.
    ``SessionState`` takes no weak reference, so this one is strong; :func:`reap` drops it.
    """
    inner: SessionState = state._state  # the wrapper's one field; Streamlit has no accessor
    with _lock:
        if session_id not in _watched:
            _watched[session_id] = _Watched(inner)


def _reap_forever() -> None:
    while True:
        time.sleep(REAP_EVERY_S)
        try:
            reap(Runtime.instance(), float(config.get_option("server.disconnectedSessionTTL")))
        except Exception:  # the reaper must outlive any one odd session
            continue


def reap(runtime: Runtime, after_s: float, now: float | None = None) -> int:
    """Release the sessions disconnected for ``after_s`` seconds or more; how many."""
    now = time.monotonic() if now is None else now
    released = 0
    with _lock:
        entries = list(_watched.items())
    for session_id, entry in entries:
        if runtime.is_active_session(session_id):
            entry.gone_since = None
            continue
        if entry.gone_since is None:
            entry.gone_since = now
        if now - entry.gone_since < after_s:
            continue
        runtime.uploaded_file_mgr.remove_session_files(session_id)
        entry.state.clear()  # every value, widgets' included (an uploader holds its files)
        with _lock:
            _watched.pop(session_id, None)
        released += 1
    if released:
        release_memory()
    return released


def release_memory() -> None:
    """Collect garbage, then return free heap memory to the system (glibc's malloc_trim)."""
    gc.collect()
    name = ctypes.util.find_library("c")
    if not name:
        return
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, musl, Windows): nothing to trim
        return
    trim(0)
