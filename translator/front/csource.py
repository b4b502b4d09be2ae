"""What the translator says about C it cannot handle."""
from __future__ import annotations


class SourceError(ValueError):
    """A C input the translator cannot handle (message is user-facing)."""
