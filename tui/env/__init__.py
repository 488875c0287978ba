"""The Env capability: models and logic of the Env pane and its headless twin (no Textual)."""
