"""The one way the product reads YAML: safe types, no aliases (a small file cannot expand into a huge one)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MAX_BYTES = 1 << 20


class _NoAliases(yaml.SafeLoader):
    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not accepted: write the value out",
                                              self.peek_event().start_mark)
        return super().compose_node(parent, index)


def load(text: str) -> Any:
    """The value a YAML text holds; a yaml.YAMLError when it is malformed or uses an alias."""
    return yaml.load(text, Loader=_NoAliases)  # noqa: S506 - a SafeLoader


def read(path: Path) -> Any:
    """The value a YAML file holds: OSError when it is absent, a folder, not a regular file (a pipe would block) or
    over 1 MiB; yaml.YAMLError when malformed; UnicodeDecodeError when not UTF-8."""
    path = Path(path)
    if path.exists() and not path.is_dir() and not path.is_file():
        raise OSError("not a regular file (a pipe, socket or device); save it as a file")
    with open(path, encoding="utf-8") as f:
        text = f.read(MAX_BYTES + 1)
    if len(text) > MAX_BYTES:
        raise OSError("over 1 MiB: not a settings file")
    return load(text)
