"""Text as a reader sorts it."""

from __future__ import annotations

import unicodedata


def reading_order(text: str) -> str:
    """A sort key that files accented names where a reader looks for them (Émilie with the E's)."""
    return "".join(c for c in unicodedata.normalize("NFKD", str(text)) if not unicodedata.combining(c)).casefold()
