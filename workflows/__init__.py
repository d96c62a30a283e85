"""The county's procedures, one module each, reading like the rule it encodes.

Every module here that defines `PROCEDURES` (its definition versions) is loaded. The core is given
them (and the folder of their document templates) by adapters/compose.py.
"""
from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from xsflow.definitions import Procedure


def _discover() -> list[Procedure]:
    found: list[Procedure] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.extend(getattr(module, "PROCEDURES", ()))
    return found


ALL_PROCEDURES = _discover()
TEMPLATES = Path(__file__).with_name("templates")  # the bundled wording of every document
