"""Errors a sandbox function may throw, or the runtime throws on its behalf.

Their own module so storage (``db``) and the ctx objects (``context``) can both use them
without importing each other."""

from __future__ import annotations

import json
from typing import Any

from tui.convex import values


class UserError(Exception):
    """`throw new Error(message)` inside a function."""

    def __init__(self, message: str, *, location: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.location = location


class ConvexError(Exception):
    """`throw new ConvexError(data)`: the data travels to the client as ``errorData``."""

    def __init__(self, data: Any, *, location: str = "") -> None:
        self.data = data
        self.location = location
        message = (
            data
            if isinstance(data, str)
            else json.dumps(values.encode(data), separators=(",", ":"))
        )
        super().__init__(message)
        self.message = message


class SystemError_(Exception):
    """An error raised by the runtime on behalf of the function (bad id, schema mismatch...)."""
