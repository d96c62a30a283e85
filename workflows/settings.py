"""Configuration the procedures read: service-level periods, each with its source."""
from __future__ import annotations

import os
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

DEFAULT = Path(__file__).with_name("service_levels.toml")


@cache
def service_levels() -> dict[str, Any]:
    """The service-level table: XSFLOW_SERVICE_LEVELS if set, else the bundled file."""
    path = Path(os.environ.get("XSFLOW_SERVICE_LEVELS") or DEFAULT)
    with path.open("rb") as f:
        return tomllib.load(f)


def service_level_setting(procedure: str, name: str) -> dict[str, Any]:
    try:
        return service_levels()[procedure][name]
    except KeyError:
        raise KeyError(f"service level [{procedure}.{name}] is missing from the service-level file") from None
