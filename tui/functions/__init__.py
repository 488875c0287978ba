"""The Functions capability: models and logic of the Functions pane and its headless twin (no Textual)."""
