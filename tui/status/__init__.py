"""The Status capability: service probes, container selection, the status view model and the
headless `convex-tui status` twin. No Textual here; `screens/status.py` renders it."""
