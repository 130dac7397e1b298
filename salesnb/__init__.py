"""salesnb: sales-operations analytics workbook helpers."""

from salesnb.core.errors import InputError, ParameterError, SalesnbError

__all__ = ["InputError", "ParameterError", "SalesnbError"]
__version__ = "0.1.0"
