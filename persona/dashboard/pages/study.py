"""Study: the current study's files (add, remove, delete the study) and a search across them."""

import streamlit as st

from persona.dashboard.ui.search import render_search
from persona.dashboard.ui.study import current_study
from persona.dashboard.ui.study_files import add_files, show_done, study_reading
from persona.dashboard.ui.study_manage import manage_files
from persona.dashboard.ui.uploads import render_reading

st.title("Study")
show_done()
study = current_study()
if study is None:
    st.caption(
        "A study keeps its research files on this machine, so every page uses them without "
        "uploading them again. Pick one at the top of the page, or create one here."
    )
    add_files(None, key="study_new")
    st.stop()

st.caption(
    "The study's files are copies kept in Persona's data folder, private to you like History. "
    "Every page works on them; runs made from any page land here."
)
reading = study_reading(study)
search, files = st.tabs(["Search", "Files"])
with search:
    render_search(study, key="study_search")
with files:
    if reading is not None:
        render_reading(reading)
        with st.expander("Add files", icon=":material/note_add:"):
            add_files(study, key="study_add")
        with st.expander("Remove files or delete the study", icon=":material/delete:"):
            manage_files(study, reading, key="study_manage")
