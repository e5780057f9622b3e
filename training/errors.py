"""Domain errors raised by service functions; the web turns them into pages, the CLI into messages."""

from __future__ import annotations


class NotFoundError(Exception):
    """No such record, or the acting user may not know it exists (both look the same: 404)."""


class InvalidInput(Exception):
    """Input that cannot be accepted; names the field so the form can show the message beside it."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
