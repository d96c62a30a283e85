"""Configuration the procedures read: service-level periods, each with its source.

One TOML file per procedure in `workflows/service_levels/`; a file of the same name in the
folder named by XSFLOW_SERVICE_LEVELS (the operator's) takes its place.
"""
from __future__ import annotations

import os
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

BUNDLED = Path(__file__).with_name("service_levels")


@cache
def service_levels(procedure: str) -> dict[str, Any]:
    folders = [Path(os.environ["XSFLOW_SERVICE_LEVELS"])] if os.environ.get("XSFLOW_SERVICE_LEVELS") else []
    for folder in [*folders, BUNDLED]:
        path = folder / f"{procedure}.toml"
        if path.exists():
            with path.open("rb") as f:
                return tomllib.load(f)
    return {}


def service_level_setting(procedure: str, name: str) -> dict[str, Any]:
    """The setting `[name]` of the procedure's service-level file, e.g. {working_days, source}."""
    try:
        return service_levels(procedure)[name]
    except KeyError:
        raise KeyError(f"service level [{name}] is missing from service_levels/{procedure}.toml") from None


def choice_setting(procedure: str, name: str, allowed: dict[str, str]) -> dict[str, Any]:
    """The setting `[name]` of the procedure's file whose `mode` is one of `allowed` (mode → meaning),
    e.g. {mode, source}; a value outside `allowed` stops the load with a message naming the file."""
    setting = service_level_setting(procedure, name)
    if setting.get("mode") not in allowed:
        raise ValueError(f"[{name}] mode = {setting.get('mode')!r} in service_levels/{procedure}.toml "
                         f"is not one of {sorted(allowed)}")
    return setting
