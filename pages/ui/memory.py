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

import contextlib
import ctypes
import ctypes.util
import gc
import threading
import time
import weakref
from dataclasses import dataclass

from streamlit import config
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
from streamlit.runtime.state.safe_session_state import SafeSessionState

REAP_EVERY_S = 5.0


@dataclass
class _Watched:
    state: weakref.ref[SafeSessionState]
    gone_since: float | None = None


_watched: dict[str, _Watched] = {}
"""Session ID → a weak reference to its state: nothing here keeps a session's data alive."""
_lock = threading.Lock()
_reaper: threading.Thread | None = None


def watch_session() -> None:
    """Have this session's uploads and state released once its tab is gone for good."""
    global _reaper
    ctx = get_script_run_ctx()
    if ctx is None or not Runtime.exists():
        return
    with _lock:
        if ctx.session_id not in _watched:
            _watched[ctx.session_id] = _Watched(weakref.ref(ctx.session_state))
        if _reaper is None or not _reaper.is_alive():
            _reaper = threading.Thread(target=_reap_forever, name="persona-reaper", daemon=True)
            _reaper.start()


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
        entry.gone_since = entry.gone_since or now
        if now - entry.gone_since < after_s:
            continue
        runtime.uploaded_file_mgr.remove_session_files(session_id)
        state = entry.state()
        if state is not None:
            for key in list(state.filtered_state):
                with contextlib.suppress(KeyError):
                    del state[key]
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
