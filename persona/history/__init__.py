"""History: the local SQLite store of runs, and exports of them."""
