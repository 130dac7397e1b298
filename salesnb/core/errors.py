"""Errors that reach users: each carries a message written for them."""


class SalesnbError(Exception):
    """Base class for errors with a user-facing message."""


class InputError(SalesnbError):
    """Input data does not meet the contract (names file, column and rows)."""


class ParameterError(SalesnbError):
    """Run parameters are invalid (unknown team, malformed month, missing path...)."""


class EmptyPeriodError(SalesnbError):
    """The requested team and period hold no data."""
