"""The Scripts capability: models and logic of the Scripts pane and its headless twin (no Textual)."""
