"""Progress of a long run: a live line on a terminal, plain lines otherwise (logs, CI).

Every submission with a problem (invalid, error, timeout) gets a line of its own, naming the
student and the reason, on a terminal too, so problems can be followed up while the run goes on.
The time left is worked out from how long submissions take and how many run at once; while
the running ones take longer than that, the line says it is waiting for them (and how long a
submission may take at most) instead of counting down to "0 s".
"""
from __future__ import annotations

import sys
import threading
import time


class Progress:
    def __init__(self, stream=None, every: int = 10, tick: float = 1.0):
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.every = every
        self.tick = tick
        self.total = self.done = 0
        self.workers, self.limit = 1, None
        self.busy_seconds = 0.0  # wall time of the finished submissions, summed
        self.started = self.last = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker = None

    def start(self, total: int, skipped: int = 0, workers: int = 1, limit: float | None = None) -> None:
        self.total, self.workers, self.limit = total, max(1, workers), limit
        self.started = self.last = time.monotonic()
        note = f" ({skipped} already graded, skipped)" if skipped else ""
        self._write(f"grading {total} submission(s){note}\n")
        if self.live and total:
            self._ticker = threading.Thread(target=self._redraw, daemon=True)
            self._ticker.start()

    def left(self, now: float | None = None) -> str:
        """The time-left part of the line."""
        now = time.monotonic() if now is None else now
        remaining = self.total - self.done
        if remaining <= 0:
            return "done"
        running = min(self.workers, remaining)
        bound = f"; each stops within {self.limit:g} s" if self.limit else ""
        if not self.done:
            return f"estimating the time left ({running} running{bound})"
        per_submission = (self.busy_seconds or (self.last - self.started) * self.workers) / self.done
        waited = now - self.last
        estimate = remaining * per_submission / self.workers - waited
        if estimate < 1 and waited > max(1.0, 2 * per_submission):
            # the running ones take longer than the others did: say so rather than count down to 0 s
            return f"waiting for {running} running submission(s), {waited:.0f} s so far{bound}"
        return f"about {max(estimate, 0):.0f} s left"

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        return f"{self.done}/{self.total} graded, {rate:.1f}/s, {self.left()}"

    def note(self, result) -> None:
        """A problem submission's own line: the student, the status and the reason."""
        reason = " ".join(str(getattr(result, "reason", "")).split())
        reason = reason if len(reason) <= 200 else reason[:197] + "..."
        where = f" [{result.notebook}]" if getattr(result, "notebook", "") else ""
        text = f"problem: {result.student}{where}: {result.status}" + (f": {reason}" if reason else "")
        with self._lock:
            if self.live:
                self.stream.write("\r" + " " * 79 + "\r" + text + "\n")
            else:
                self.stream.write(f"{self.line()} | {text}\n")
            self.stream.flush()

    def advance(self, result) -> None:
        with self._lock:
            self.done += 1
            self.busy_seconds += float(getattr(result, "seconds", 0.0) or 0.0)
            self.last = time.monotonic()
        if result.status != "graded":
            self.note(result)
        with self._lock:
            if self.live:
                self.stream.write("\r" + self.line()[:79].ljust(79))
            elif result.status == "graded" and (self.done % self.every == 0 or self.done == self.total):
                possible = sum(q.max_points for q in result.questions)
                self.stream.write(f"{self.line()} | {result.student}: {result.status} "
                                  f"{result.points:g}/{possible:g}\n")
            self.stream.flush()

    def _redraw(self) -> None:
        while not self._stop.wait(self.tick):
            with self._lock:
                self.stream.write("\r" + self.line()[:79].ljust(79))
                self.stream.flush()

    def _write(self, text: str) -> None:
        with self._lock:
            self.stream.write(text)
            self.stream.flush()

    def finish(self) -> None:
        self._stop.set()
        if self._ticker:
            self._ticker.join()
        if self.live:
            self._write("\n")
        else:
            self._write("")
