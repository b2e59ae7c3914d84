"""A resumable, time-bounded training run in one folder: checkpoint.pt (written atomically), log.jsonl,
config.json and summary.json. Rerunning the same command continues from the last checkpoint; the
time budget counts every resume together, so a run killed with its session finishes in the next."""
from __future__ import annotations

import json
import time
from pathlib import Path

import torch


def learning_rate(base: float, step: int, warmup_steps: int, budget_left: float, cooldown: float) -> float:
    """Linear warmup over the first steps, flat, then linearly down to a tenth over the budget's last
    `cooldown`. Budget and cooldown share a unit: minutes (runs are sized by the wall clock), or steps
    (a run matched step for step with another, whatever the machine's load)."""
    warm = min(1.0, (step + 1) / warmup_steps)
    cool = max(0.1, min(1.0, budget_left / cooldown)) if cooldown > 0 else 1.0
    return base * warm * cool


class TrainingRun:
    def __init__(self, out: Path, minutes: float, checkpoint_minutes: float):
        self.out = out
        self.minutes = minutes
        self.checkpoint_minutes = checkpoint_minutes
        self.checkpoint_path = out / "checkpoint.pt"
        self.state: dict = {"step": 0, "seconds": 0.0}
        out.mkdir(parents=True, exist_ok=True)

    def resume(self, device: str) -> dict | None:
        """The last checkpoint's payload (and its state restored), or None for a fresh run."""
        if not self.checkpoint_path.exists():
            return None
        checkpoint = torch.load(self.checkpoint_path, map_location=device)
        self.state = checkpoint["state"]
        print(f"resuming at step {self.state['step']} ({self.state['seconds'] / 60:.1f} min trained)", flush=True)
        return checkpoint

    def start(self) -> None:
        self.started = time.time() - self.state["seconds"]
        self.last_checkpoint = time.time()
        self.log_file = (self.out / "log.jsonl").open("a")

    def running(self, max_steps: int) -> bool:
        return self.state["step"] < max_steps and time.time() - self.started < self.minutes * 60

    @property
    def elapsed_minutes(self) -> float:
        return (time.time() - self.started) / 60

    @property
    def minutes_left(self) -> float:
        return self.minutes - self.elapsed_minutes

    def save(self, payload: dict) -> None:
        """Atomically: a kill while saving leaves the previous checkpoint."""
        self.state["seconds"] = time.time() - self.started
        temporary = self.checkpoint_path.with_suffix(".tmp")
        torch.save({**payload, "state": self.state}, temporary)
        temporary.replace(self.checkpoint_path)
        self.last_checkpoint = time.time()

    def checkpoint_due(self) -> bool:
        return time.time() - self.last_checkpoint > self.checkpoint_minutes * 60

    def log(self, record: dict) -> None:
        self.log_file.write(json.dumps(record) + "\n")
        self.log_file.flush()
        print(json.dumps(record), flush=True)

    def finish(self, summary: dict) -> None:
        (self.out / "summary.json").write_text(json.dumps(summary, indent=2))
        print(json.dumps(summary), flush=True)
