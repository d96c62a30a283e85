"""The county's procedures, one module each, reading like the rule it encodes."""
from .legality_review import legality_review

ALL_PROCEDURES = [legality_review]

__all__ = ["ALL_PROCEDURES", "legality_review"]
