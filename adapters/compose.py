"""The county's xsflow: the core given the procedures of workflows/ and their document templates."""
from __future__ import annotations

import importlib
import os
from pathlib import Path

from workflows import ALL_PROCEDURES, TEMPLATES
from workflows.assessment_record import SUPPLIERS
from xsflow.clock import Clock
from xsflow.liaison import LogSender, Sender
from xsflow.registry import Registry
from xsflow.system import Xsflow
from xsflow.timers import BATCH as SWEEP_BATCH
from xsflow.validation import DEFAULT_BACKDATING_DAYS


def county_registry() -> Registry:
    """Every procedure declared in workflows/, every version."""
    return Registry(ALL_PROCEDURES, suppliers=SUPPLIERS)


def template_folders() -> list[Path]:
    """The operator's edited templates (XSFLOW_TEMPLATE_DIR) before the bundled ones."""
    override = os.environ.get("XSFLOW_TEMPLATE_DIR")
    return [Path(override), TEMPLATES] if override else [TEMPLATES]


def backdating_days() -> int:
    """How many days back an act may still be entered (XSFLOW_BACKDATING_DAYS, docs/decisions.md)."""
    text = os.environ.get("XSFLOW_BACKDATING_DAYS", "").strip()
    if not text:
        return DEFAULT_BACKDATING_DAYS
    if not text.isascii() or not text.isdigit() or not 0 < int(text) <= 36600:
        raise SystemExit(f"XSFLOW_BACKDATING_DAYS 须为 1 至 36600 之间的整数（天数），现为“{text}”。")
    return int(text)


def notification_sender() -> Sender:
    """The liaison officers' notification sender: XSFLOW_NOTIFICATION_SENDER=module:factory, else the log."""
    spec = os.environ.get("XSFLOW_NOTIFICATION_SENDER", "").strip()
    if not spec:
        return LogSender()
    module, _, name = spec.partition(":")
    try:
        return getattr(importlib.import_module(module), name)()
    except (ImportError, AttributeError, ValueError) as err:
        raise SystemExit(f"XSFLOW_NOTIFICATION_SENDER 应为“模块:工厂函数”，现为“{spec}”：{err}") from None


def served_at_issue() -> frozenset[str]:
    """Document kinds deemed served electronically through xsflow the moment they are issued
    (XSFLOW_SERVED_AT_ISSUE: kinds separated by commas, or * for all, the default; docs/decisions.md). Empty, the
    default: a period that runs from a document's service waits until the service is recorded."""
    named = os.environ.get("XSFLOW_SERVED_AT_ISSUE")
    # Unset: every kind, so that an integrator's request_supplement answers with its due date as the
    # contract (shared/contract.md) promises; set it empty to wait for each recorded service (待送达).
    text = "*" if named is None else named.strip()
    return frozenset(k.strip() for k in text.split(",") if k.strip())


def sweep_batch() -> int:
    """Cases a sweep lapses per transaction (XSFLOW_SWEEP_BATCH, default xsflow.timers.BATCH): fewer
    hold each case and document counter a shorter time, more cost fewer round trips (docs/performance.md)."""
    text = os.environ.get("XSFLOW_SWEEP_BATCH", "").strip()
    if not text:
        return SWEEP_BATCH
    if not text.isdigit() or int(text) < 1:
        raise SystemExit(f"XSFLOW_SWEEP_BATCH 应为正整数，现为“{text}”")
    return int(text)


def open_system(url: str | None = None, *, clock: Clock | None = None, registry: Registry | None = None) -> Xsflow:
    """An xsflow on `url` (else XSFLOW_DATABASE_URL, else ./xsflow.db) with the county's procedures,
    or those of `registry` (benchmarks and samples)."""
    return Xsflow(url, registry=registry or county_registry(), template_folders=template_folders(), clock=clock,
                  backdating_days=backdating_days(), sender=notification_sender(),
                  served_at_issue=served_at_issue(), sweep_batch=sweep_batch())
