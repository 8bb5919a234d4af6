"""The dashboard's pages: scripts Streamlit runs through ``st.navigation`` in app.py."""
