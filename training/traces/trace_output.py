"""Where trace collectors write, how they run their jobs, and how they count what finished.

Records go to `<out>/traces.jsonl` and finished jobs to a jobs file, each job's lines in one O_APPEND
write, fsynced, so that collectors of several languages can share the traces file without interleaving
and a kill loses at most the job in flight. `TraceOutput` remembers what is written, so a rerun skips
finished jobs and never writes a record id twice."""
from __future__ import annotations

import itertools
import json
import os
import re
import threading
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Callable, Iterable

import sandbox

_ID = re.compile(rb'\{"id": "((?:[^"\\]|\\.)*)"')


class TraceOutput:
    def __init__(self, out: Path, jobs_file: str, language: str):
        self.traces_path, self.jobs_path = out / "traces.jsonl", out / jobs_file
        self.ids: set[str] = set()
        self.done: dict[str, str] = {}   # job key -> status (the last line of a key wins)
        self.lock = threading.Lock()
        prefix = b'{"id": "' + language.encode() + b":"
        if self.traces_path.exists():
            with self.traces_path.open("rb") as f:
                for line in f:
                    match = _ID.match(line) if line.startswith(prefix) else None
                    if match:
                        self.ids.add(json.loads(b'"' + match.group(1) + b'"'))
        if self.jobs_path.exists():
            for line in self.jobs_path.read_text().splitlines():
                if line.strip():
                    job = json.loads(line)
                    self.done[job["key"]] = job.get("status", "")

    def write(self, records: list[dict], summary: dict) -> None:
        with self.lock:
            fresh = [r for r in records if r["id"] not in self.ids]
            if fresh:
                _append(self.traces_path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in fresh))
                self.ids.update(r["id"] for r in fresh)
            _append(self.jobs_path, json.dumps(summary) + "\n")
            self.done[summary["key"]] = summary.get("status", "")


def _append(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        data = text.encode("utf-8")
        while data:
            data = data[os.write(fd, data):]
        os.fsync(fd)
    finally:
        os.close(fd)


class JobTally:
    """The jobs a collector finished this run: each written to the output as it ends, its records counted
    by status (`records`, under the language) and its own status (`jobs`), with the rate for progress lines."""

    def __init__(self, output: TraceOutput, language: str, total: int):
        self.output, self.language, self.total = output, language, total
        self.records, self.jobs = sandbox.Counts(), Counter()
        self.finished, self.started = 0, time.monotonic()

    def add(self, result: tuple[list[dict], dict]) -> dict:
        """Writes and counts one finished job (run_jobs's result); returns its summary."""
        records, summary = result
        self.output.write(records, summary)
        for record in records:
            self.records.add(self.language, record["status"])
        self.jobs[summary["status"]] += 1
        self.finished += 1
        return summary

    def due(self, every: int) -> bool:
        """Whether a progress line is due: every `every` jobs, and at the last."""
        return self.finished % every == 0 or self.finished == self.total

    @property
    def rate(self) -> float:
        return self.finished / max(1e-9, time.monotonic() - self.started)

    @property
    def minutes_left(self) -> float:
        return (self.total - self.finished) / max(self.rate, 1e-9) / 60


def run_jobs(items: Iterable, work: Callable, workers: int, on_result: Callable) -> None:
    """Runs `work(item)` for every item on `workers` threads with at most twice as many queued (a
    generator of jobs is never read far ahead), calling `on_result(result)` on this thread as each ends."""
    workers = max(1, workers)
    queue = iter(items)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        running = {pool.submit(work, item) for item in itertools.islice(queue, workers * 2)}
        while running:
            complete, running = wait(running, return_when=FIRST_COMPLETED)
            for future in complete:
                on_result(future.result())
                following = next(queue, None)
                if following is not None:
                    running.add(pool.submit(work, following))
