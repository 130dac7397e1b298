"""Parameter objects from plain data: one validation error naming every problem."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError

from salesnb.core.errors import ParameterError

M = TypeVar("M", bound=BaseModel)


def explain(exc: ValidationError, source: str, what: str = "invalid parameters") -> ParameterError:
    """One ParameterError listing each field pydantic refused and why."""
    parts = [f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg'].removeprefix('Value error, ')}"
             for e in exc.errors()]
    return ParameterError(f"{source}: {what}: " + "; ".join(parts))


def parse(model: type[M], data: object, source: str) -> M:
    """A validated parameter object, or one ParameterError naming every problem."""
    if not isinstance(data, dict):
        raise ParameterError(f"{source}: expected a mapping of names to values, got {data!r}.")
    try:
        return model(**data)
    except ValidationError as exc:
        raise explain(exc, source) from None
