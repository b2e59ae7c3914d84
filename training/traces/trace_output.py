"""Where trace collectors write: records appended to `<out>/traces.jsonl` and finished jobs to a jobs file,
each job's lines in one O_APPEND write, fsynced, so that collectors of several languages can share the
traces file without interleaving and a kill loses at most the job in flight. Remembers what is written,
so a rerun skips finished jobs and never writes a record id twice."""
from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path

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
