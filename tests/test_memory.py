"""A closed tab's uploads and session state are released after Streamlit's reconnect time."""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from typing import Any

from persona.dashboard.ui import memory


@dataclass
class FakeState:
    """The part of SessionState the reaper uses."""

    values: dict[str, Any] = field(default_factory=dict)

    def clear(self) -> None:
        self.values.clear()


@dataclass
class FakeFiles:
    removed: list[str] = field(default_factory=list)

    def remove_session_files(self, session_id: str) -> None:
        self.removed.append(session_id)


@dataclass
class FakeRuntime:
    active: set[str]
    uploaded_file_mgr: FakeFiles = field(default_factory=FakeFiles)

    def is_active_session(self, session_id: str) -> bool:
        return session_id in self.active


def test_only_sessions_gone_longer_than_the_reconnect_time_are_released() -> None:
    open_tab, closed_tab = (
        FakeState({"reading_generate": "x" * 1000}),
        FakeState({"reading_generate": "y" * 1000, "uploads_generate": ["file"]}),
    )
    memory._watched.clear()
    memory._watched["open"] = memory._Watched(open_tab)  # type: ignore[arg-type]
    memory._watched["closed"] = memory._Watched(closed_tab)  # type: ignore[arg-type]
    runtime: Any = FakeRuntime(active={"open"})  # a stand-in for Runtime

    assert memory.reap(runtime, after_s=120, now=1000.0) == 0  # just disconnected
    assert closed_tab.values and runtime.uploaded_file_mgr.removed == []
    assert memory.reap(runtime, after_s=120, now=1119.0) == 0  # may still reconnect
    assert memory.reap(runtime, after_s=120, now=1120.0) == 1

    assert closed_tab.values == {}
    assert runtime.uploaded_file_mgr.removed == ["closed"]
    assert open_tab.values == {"reading_generate": "x" * 1000}
    assert set(memory._watched) == {"open"}


def test_a_reconnected_session_starts_its_clock_again() -> None:
    tab = FakeState({"k": 1})
    memory._watched.clear()
    memory._watched["s"] = memory._Watched(tab)  # type: ignore[arg-type]
    runtime: Any = FakeRuntime(active=set())  # a stand-in for Runtime
    memory.reap(runtime, after_s=10, now=0.0)
    runtime.active.add("s")
    memory.reap(runtime, after_s=10, now=5.0)
    runtime.active.clear()
    assert memory.reap(runtime, after_s=10, now=12.0) == 0
    assert memory.reap(runtime, after_s=10, now=22.0) == 1
    memory._watched.clear()


def test_a_session_is_released_after_the_script_run_that_registered_it_ended() -> None:
    """Streamlit's own state classes: a script run's ``SafeSessionState`` wrapper is gone
    long before the tab closes, while the session's ``SessionState`` lives on."""
    from streamlit.runtime.state.safe_session_state import SafeSessionState
    from streamlit.runtime.state.session_state import SessionState

    state = SessionState()
    state["reading_generate"] = "x" * 1000
    memory._watched.clear()
    memory.watch("closed", SafeSessionState(state, lambda: None))  # the run ends: wrapper freed
    gc.collect()
    runtime: Any = FakeRuntime(active=set())  # a stand-in for Runtime
    memory.reap(runtime, after_s=2, now=0.0)
    assert memory.reap(runtime, after_s=2, now=3.0) == 1
    assert "reading_generate" not in state and state.filtered_state == {}
    assert runtime.uploaded_file_mgr.removed == ["closed"]
