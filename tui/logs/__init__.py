"""The Logs capability: models and logic of the Logs pane and its headless twin (no Textual)."""
