"""The Data capability: models and logic of the Data pane and its headless twin (no Textual)."""
