"""Hardware & models for the built-in engine: GGUF files with their facts, fit and memory;
add a file by path, remove one."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from persona.api.display import format_bytes
from persona.api.engines import llama_installed, read_gguf, recommend
from persona.api.reading import typed_path
from persona.api.settings import save_settings
from persona.core.errors import InputError, PersonaError
from persona.dashboard.ui.builtin_install import builtin_missing
from persona.dashboard.ui.errors import guarded, show_error
from persona.dashboard.ui.memory_chart import memory_chart
from persona.dashboard.ui.resources import builtin_engine, current_model_rows, refresh, settings
from persona.types import DEMO_NOTE, GB, Hardware


def render(machine: Hardware) -> None:
    chosen = settings()
    engine = builtin_engine(str(chosen.models_dir), tuple(str(f) for f in chosen.gguf_files))
    files = engine.model_files()
    st.subheader("Built-in engine")
    st.write(
        "Models run inside Persona with llama.cpp, no server. The demo "
        f"model is {DEMO_NOTE} (for this machine: **{recommend(machine).tier.model}**). Any "
        f"GGUF file works: copy it into `{chosen.models_dir}` or add it by path below."
    )
    if builtin_missing(key="models_builtin") and not llama_installed():
        return
    for problem in engine.warnings():
        st.warning(problem, icon=":material/warning:")
    try:
        rows = current_model_rows()
    except PersonaError as exc:
        show_error(exc)
        rows = []

    st.subheader(f"GGUF models ({len(rows)})")
    if rows:
        table = pd.DataFrame(
            [
                {
                    "Model": row.name,
                    "File size": format_bytes(row.size),
                    "Parameters": row.parameters or "?",
                    "Quantization": row.quantization or "?",
                    "Context": f"{row.context_length:,}" if row.context_length else "?",
                    "Needs": format_bytes(row.estimate.total) if row.estimate else "?",
                    "Fit": row.verdict,
                    "Where": _where(files.get(row.name), chosen.models_dir, chosen.gguf_files),
                }
                for row in rows
            ]
        )
        st.dataframe(table, hide_index=True, width="stretch")
        st.subheader("Memory each model needs")
        memory_chart(
            [
                {
                    "model": row.name,
                    "needed_gb": row.estimate.total / GB,
                    "kind": "GGUF",
                    "verdict": row.verdict,
                }
                for row in rows
                if row.estimate
            ],
            machine,
        )
        with st.expander("Inspect a model", icon=":material/search:"):
            picked = st.selectbox("Model", [row.name for row in rows], key="inspect_gguf")
            row = next(r for r in rows if r.name == picked)
            if row.fit:
                st.write(row.fit.explanation)
            st.json(row.to_dict(), expanded=True)

    _add_file(chosen.gguf_files)
    _remove_file(files, chosen.gguf_files, chosen.models_dir)


def _where(path: Path | None, folder: Path, added: tuple[Path, ...]) -> str:
    if path is None:
        return ""
    if path in added:
        return "added by path"
    return "models folder" if path.parent == folder else "demo (installed with Persona)"


def _add_file(added: tuple[Path, ...]) -> None:
    st.subheader("Add a GGUF file")
    with st.form("add_gguf", border=False):
        raw = st.text_input("Path to a .gguf file", placeholder="/home/me/models/model.gguf")
        submitted = st.form_submit_button("Add", icon=":material/add:")
    if not submitted:
        if st.session_state.get("gguf_added"):
            st.success(f"Added {st.session_state.gguf_added}.", icon=":material/check_circle:")
            st.session_state.gguf_added = None
        return

    def add() -> None:
        if not raw.strip():
            raise InputError("Type the path of a .gguf file first.")
        path = typed_path(raw.strip().strip('"'))
        if not path.is_file():
            raise InputError(f"There is no file at {path}: check the path.")
        read_gguf(path)  # refuses what is not a GGUF model, with the reason
        if path.resolve() in {p.resolve() for p in added}:
            raise InputError(f"{path.name} is already in the list.")
        save_settings({"gguf_files": [*map(str, added), str(path.resolve())]})
        builtin_engine.clear()
        refresh()
        st.session_state.gguf_added = path.name
        st.rerun()

    guarded(add)


def _remove_file(files: dict[str, Path], added: tuple[Path, ...], folder: Path) -> None:
    removable = {
        name: path for name, path in files.items() if path in added or path.parent == folder
    }
    if st.session_state.get("gguf_removed"):
        st.success(st.session_state.gguf_removed, icon=":material/delete:")
        st.session_state.gguf_removed = None
    if not removable:
        return
    st.subheader("Remove a model")
    name = st.selectbox("Model to remove", sorted(removable), key="remove_gguf")
    if name is None:
        return
    path = removable[name]
    in_folder = path.parent == folder and path not in added
    if st.button("Remove…", key="remove_gguf_ask", icon=":material/delete:"):
        st.session_state.confirm_remove_gguf = name
    if st.session_state.get("confirm_remove_gguf") != name:
        return
    size = format_bytes(path.stat().st_size) if path.exists() else "?"
    st.warning(
        f"Delete **{path.name}** from the models folder? This frees {size}."
        if in_folder
        else f"Remove **{name}** from the list? The file stays where it is ({path})."
    )
    yes, no = st.columns(2)
    if yes.button(f"Yes, remove {name}", key="remove_gguf_yes", type="primary"):
        st.session_state.confirm_remove_gguf = None

        def remove() -> None:
            if in_folder:
                try:
                    path.unlink()
                except OSError as exc:
                    raise InputError(f"Cannot delete {path}: {exc.strerror}.") from exc
            else:
                save_settings({"gguf_files": [str(p) for p in added if p != path]})
            builtin_engine.clear()
            refresh()

        if guarded(remove):
            st.session_state.gguf_removed = f"Removed {name}."
            st.rerun()
    if no.button("Keep it", key="remove_gguf_no"):
        st.session_state.confirm_remove_gguf = None
        st.rerun()
