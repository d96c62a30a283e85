"""The loaded procedure definitions and their machines, one machine per definition version."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from .definitions import Procedure
from .errors import NotFound
from .machine import ProcedureMachine


# Fills in the part of a trigger's payload that comes from the record, not from the caller:
# (conn, actor, case row, validated payload, now) -> the fields added. Its fields are not in the
# trigger's schema, so a caller cannot send them; it may refuse (an XsflowError), changing nothing.
Supplier = Callable[..., Mapping[str, Any]]


class Registry:
    def __init__(self, procedures: Iterable[Procedure],
                 suppliers: Mapping[tuple[str, str], Supplier] | None = None) -> None:
        self.suppliers: dict[tuple[str, str], Supplier] = dict(suppliers or {})
        self._by_key: dict[tuple[str, int], Procedure] = {}
        self._machines: dict[tuple[str, int], ProcedureMachine] = {}
        for proc in procedures:
            if proc.key in self._by_key:
                raise ValueError(f"procedure {proc.name} version {proc.version} is registered twice")
            self._by_key[proc.key] = proc
            self._machines[proc.key] = ProcedureMachine(proc)

    def all(self) -> list[Procedure]:
        return sorted(self._by_key.values(), key=lambda p: (p.name, p.version))

    def observed_by(self, role: str) -> frozenset[str]:
        """The procedures a read-only role sees (any version naming it among its observers)."""
        return frozenset(p.name for p in self._by_key.values() if role in p.observers)

    def names(self) -> list[str]:
        return sorted({name for name, _ in self._by_key})

    def get(self, name: str, version: int) -> Procedure:
        try:
            return self._by_key[(name, version)]
        except KeyError:
            raise NotFound(f"没有名为“{name}”的第 {version} 版程序定义。") from None

    def versions(self, name: str) -> list[Procedure]:
        found = sorted((p for (n, _), p in self._by_key.items() if n == name), key=lambda p: p.version)
        if not found:
            known = "、".join(self.names())
            raise NotFound(f"没有名为“{name}”的程序。可用的程序：{known}。", procedure=name)
        return found

    def current(self, name: str, on: date) -> Procedure:
        """The version new cases open on at `on`: the newest one already in force."""
        in_force = [p for p in self.versions(name) if p.effective_from is None or p.effective_from <= on]
        if not in_force:
            first = self.versions(name)[0]
            raise NotFound(f"“{first.title}”自{first.effective_from:%Y年%-m月%-d日}起施行，{on:%Y年%-m月%-d日}尚无可适用的程序。")
        return in_force[-1]

    def machine(self, proc: Procedure) -> ProcedureMachine:
        return self._machines[proc.key]

