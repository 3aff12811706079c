"""Progress of a long run: a live line on a terminal, plain lines otherwise (logs, CI)."""
from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, stream=None, every: int = 10):
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.every = every
        self.total = self.done = 0
        self.started = time.monotonic()

    def start(self, total: int, skipped: int = 0) -> None:
        self.total, self.started = total, time.monotonic()
        note = f" ({skipped} already graded, skipped)" if skipped else ""
        self.stream.write(f"grading {total} submission(s){note}\n")
        self.stream.flush()

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else 0.0
        return f"{self.done}/{self.total} graded, {rate:.1f}/s, about {left:.0f} s left"

    def advance(self, result) -> None:
        self.done += 1
        if self.live:
            self.stream.write("\r" + self.line().ljust(60))
        elif self.done % self.every == 0 or self.done == self.total or result.status != "graded":
            self.stream.write(f"{self.line()} | {result.student}: {result.status} "
                              f"{result.points:g}/{sum(q.max_points for q in result.questions):g}\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.live:
            self.stream.write("\n")
        self.stream.flush()
