"""What an import run did so far: counts, per-item outcomes, rate and ETA, and where they are shown.

Importers call the report after each item; sinks (a terminal line, the job's
row) decide how often to show it, so a 10,000-book run does not print or
write 10,000 times.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from bookshelf.services.names.disk import from_filesystem

Sink = Callable[["ImportReport", bool], Awaitable[None]]


@dataclass
class ImportReport:
    total: int | None = None
    done: int = 0
    imported: list[dict[str, Any]] = field(default_factory=list)  # {"source","name","bookId"}
    duplicates: list[dict[str, Any]] = field(default_factory=list)  # {"source","name","bookId"}
    failed: list[dict[str, Any]] = field(default_factory=list)  # {"source","name","reason"}
    skipped: list[dict[str, Any]] = field(default_factory=list)  # {"source","name","reason"}
    notes: list[dict[str, Any]] = field(default_factory=list)  # part of an item: a format skipped, a failed organize
    organized: int = 0
    earlier: int = 0  # items an earlier, interrupted run already imported
    started: float = field(default_factory=time.monotonic)
    sinks: list[Sink] = field(default_factory=list)

    # -- recording ---------------------------------------------------------------
    async def add(self, kind: str, source: str, name: str, *, book_id: str | None = None,
                  reason: str | None = None, counts: bool = True) -> None:  # fmt: skip
        """One outcome; ``counts`` is False for notes about part of an item (a skipped format)."""
        entry: dict[str, Any] = {"source": from_filesystem(source), "name": from_filesystem(name)}
        if book_id is not None:
            entry["bookId"] = book_id
        if reason is not None:
            entry["reason"] = reason
        if not counts:
            self.notes.append({**entry, "kind": kind})
            return
        getattr(self, kind).append(entry)
        self.done += 1
        await self.emit(False)

    async def emit(self, final: bool) -> None:
        for sink in self.sinks:
            await sink(self, final)

    # -- figures -----------------------------------------------------------------
    @property
    def elapsed(self) -> float:
        return max(time.monotonic() - self.started, 1e-6)

    @property
    def rate(self) -> float:
        return self.done / self.elapsed

    @property
    def fraction(self) -> float:
        if not self.total:
            return 1.0 if self.total == 0 else 0.0
        return min(self.done / self.total, 1.0)

    def eta(self) -> float | None:
        if not self.total or not self.done:
            return None
        return (self.total - self.done) / self.rate

    def line(self) -> str:
        total = "?" if self.total is None else str(self.total)
        eta = self.eta()
        eta_text = f", ETA {_duration(eta)}" if eta is not None and self.done < (self.total or 0) else ""
        return (
            f"{self.done}/{total} ({self.fraction:.0%}) imported {len(self.imported)}, duplicates "
            f"{len(self.duplicates)}, failed {len(self.failed)} - {self.rate:.1f}/s{eta_text}"
        )

    def summary(self) -> str:
        lines = [f"duplicate: {d['name']} ({d['source']}) is already book {d.get('bookId')}" for d in self.duplicates]
        lines += [f"failed: {f['name']} ({f['source']}): {f['reason']}" for f in self.failed]
        lines += [f"skipped: {s['name']} ({s['source']}): {s['reason']}" for s in self.skipped]
        lines += [f"note: {n['name']} ({n['source']}): {n.get('reason', n['kind'])}" for n in self.notes]
        if self.earlier:
            lines.append(f"already imported by an earlier run: {self.earlier}")
        lines.append(
            f"imported {len(self.imported)}, skipped duplicates {len(self.duplicates)}, failed {len(self.failed)}, "
            f"skipped {len(self.skipped)}, organized {self.organized} in {_duration(self.elapsed)} "
            f"({self.rate:.1f} items/s)"
        )
        return "\n".join(lines)


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def terminal_sink(stream: TextIO | None = None, every: float = 5.0) -> Sink:
    """A `\\r`-rewritten line on a terminal (at most 10 times a second), else a line every ``every`` s."""
    out = stream or sys.stderr
    tty = out.isatty()
    last = [0.0]

    async def show(report: ImportReport, final: bool) -> None:
        now = time.monotonic()
        if not final and now - last[0] < (0.1 if tty else every):
            return
        last[0] = now
        if tty:
            out.write("\r\x1b[K" + report.line() + ("\n" if final else ""))
        else:
            out.write(report.line() + "\n")
        out.flush()

    return show
