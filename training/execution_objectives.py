"""TRACED-style execution objectives (issue 8): alongside masked-LM, predict for each code line whether it
ran and for each traced variable occurrence its value category, given the code with its input appended.

Data: the three aligned shards `tokenizer.js traces` writes per split, `<dir>/<split>.{ids,coverage,values}`
(src/core/tokenize/traceLabels.ts): coverage labels 0 none, 1 not executed, 2 executed; value labels 0
none, else 1 + the category's index in the shards' `categories`.
"""
from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import torch
from torch import nn

from token_shards import TokenShard, pad_sequences

NOT_EXECUTED, EXECUTED = 1, 2


class TraceShards:
    """One split's aligned shards: ids, coverage labels and value labels per traced execution."""

    def __init__(self, folder: Path, split: str):
        self.ids = TokenShard(folder / f"{split}.ids")
        self.coverage = TokenShard(folder / f"{split}.coverage")
        self.values = TokenShard(folder / f"{split}.values")
        if not (len(self.ids) == len(self.coverage) == len(self.values)) or not (
            self.ids.metadata["tokens"] == self.coverage.metadata["tokens"] == self.values.metadata["tokens"]
        ):
            raise ValueError(f"{folder}/{split}.*: the ids, coverage and values shards do not align")
        self.categories: list[str] = list(self.ids.metadata["categories"])

    def __len__(self) -> int:
        return len(self.ids)

    def batch(self, indexes: list[int], pad_id: int) -> tuple[torch.Tensor, ...]:
        """(ids, attention mask, coverage labels, value labels), padded to the longest row."""
        ids, mask = pad_sequences([self.ids.sequence(i) for i in indexes], pad_id)
        coverage, _ = pad_sequences([self.coverage.sequence(i) for i in indexes], 0)  # 0: no label
        values, _ = pad_sequences([self.values.sequence(i) for i in indexes], 0)
        return tuple(torch.from_numpy(array) for array in (ids, mask, coverage, values))

    def batches(self, batch_size: int, rng: random.Random, pad_id: int):
        """Endless random batches."""
        while True:
            yield self.batch([rng.randrange(len(self)) for _ in range(batch_size)], pad_id)


class ExecutionHeads(nn.Module):
    """Linear heads on the last layer: executed or not (at a line's first token), value category (at a variable occurrence)."""

    def __init__(self, hidden_size: int, categories: int):
        super().__init__()
        self.coverage = nn.Linear(hidden_size, 2)
        self.values = nn.Linear(hidden_size, categories)

    def losses(self, hidden: torch.Tensor, coverage: torch.Tensor, values: torch.Tensor) -> dict[str, torch.Tensor]:
        out = {}
        lines = coverage > 0
        out["coverage"] = nn.functional.cross_entropy(self.coverage(hidden[lines]), coverage[lines] - 1) if bool(lines.any()) else hidden.sum() * 0.0
        occurrences = values > 0
        out["values"] = nn.functional.cross_entropy(self.values(hidden[occurrences]), values[occurrences] - 1) if bool(occurrences.any()) else hidden.sum() * 0.0
        return out


def line_predictions(logits: torch.Tensor) -> torch.Tensor:
    """Coverage label (1 or 2) from the head's two logits."""
    return logits.argmax(dim=-1) + 1


def coverage_accuracy(predicted: np.ndarray, truth: np.ndarray, execution: np.ndarray) -> dict[str, float]:
    """Line accuracy over labelled lines, and full-path accuracy: the share of executions whose every line is right.
    `execution` gives each line's execution index."""
    right = predicted == truth
    executions = np.unique(execution)
    all_right = np.ones(int(execution.max()) + 1 if len(execution) else 0, dtype=bool)
    np.logical_and.at(all_right, execution, right)
    return {
        "lines": int(len(truth)),
        "executions": int(len(executions)),
        "line_accuracy": float(right.mean()) if len(truth) else 0.0,
        "full_path_accuracy": float(all_right[executions].mean()) if len(executions) else 0.0,
        "executed_share": float((truth == EXECUTED).mean()) if len(truth) else 0.0,
    }
