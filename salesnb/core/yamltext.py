"""The one way the product reads YAML: safe types, no aliases (a small file cannot expand into a huge one)."""

from __future__ import annotations

from typing import Any

import yaml


class _NoAliases(yaml.SafeLoader):
    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not accepted: write the value out",
                                              self.peek_event().start_mark)
        return super().compose_node(parent, index)


def load(text: str) -> Any:
    """The value a YAML text holds; a yaml.YAMLError when it is malformed or uses an alias."""
    return yaml.load(text, Loader=_NoAliases)  # noqa: S506 - a SafeLoader
