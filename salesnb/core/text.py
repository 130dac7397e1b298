"""Text as a reader sorts and lists it."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote


def reading_order(text: str) -> str:
    """A sort key that files accented names where a reader looks for them (Émilie with the E's)."""
    return "".join(c for c in unicodedata.normalize("NFKD", str(text)) if not unicodedata.combining(c)).casefold()


def listing(items: list[str], last: str = "and") -> str:
    """Items as a sentence lists them: "a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {last} " + items[-1]


def href(*segments: str) -> str:
    """A relative link whose every segment is percent-encoded: a name from data never becomes a scheme or a path."""
    return "/".join(quote(segment, safe="") for segment in segments)


SECRETS = re.compile(r"(?i)(://[^/\s:@]*:)[^@\s/\"]+(@)|((?:ssl)?password\s*=\s*)('[^']*'|\"[^\"]*\"|[^&\s'\"\\]+)")


def redacted(text: str) -> str:
    """A text with any password a URL holds (user-info or `password=`) replaced by ***."""
    return SECRETS.sub(lambda m: f"{m[1]}***{m[2]}" if m[1] else f"{m[3]}***", text)


UNSAFE_IN_FILE_NAME = re.compile(r"[^\w@-]+")


def file_slug(text: str, max_bytes: int = 80) -> str:
    """A name made safe for a file name: letters, digits, `_`, `@` and `-` only, at most `max_bytes` of UTF-8."""
    slug = UNSAFE_IN_FILE_NAME.sub("_", str(text)).strip("_")
    return slug.encode()[:max_bytes].decode(errors="ignore").rstrip("_") or "_"


def counted(n: int, noun: str) -> str:
    """A count with its noun, plural when it is not one: "1 deal", "2 deals", "1,200 deals"."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
