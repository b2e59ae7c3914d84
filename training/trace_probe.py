"""Held-out line coverage from frozen hidden states (issue 8): for each encoder run, a linear probe per layer,
trained on traced executions of the training packages and scored on those of held-out packages. The
comparison the issue asks for: the execution-aware encoder against the static-only one, same layer.

    /usr/bin/python3 training/trace_probe.py --traces DATA/traces/shards \
        --runs static=DATA/runs/mlm2 traced=DATA/runs/mlm-traced --out DATA/traces/probe.json

Each run's encoder reads the same sequences (code, then the input); the probe sees only the vector of
each line's first token and says whether that line ran. Reported per layer: line accuracy and full-path
accuracy (the share of executions whose every line is right), beside the majority-class baseline.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from encoder_model import CodeEncoder, EncoderConfig  # noqa: E402
from execution_objectives import EXECUTED, TraceShards, coverage_accuracy  # noqa: E402
from token_shards import PAD  # noqa: E402


def line_vectors(encoder: CodeEncoder, shard: TraceShards, indexes: list[int]) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Per layer, the hidden state at each labelled line's first token; the labels; each line's execution index."""
    layers: list[list[np.ndarray]] | None = None
    labels, executions = [], []
    with torch.no_grad():
        for start in range(0, len(indexes), 32):
            ids, mask, coverage, _ = shard.batch(indexes[start : start + 32], PAD)
            states = encoder(ids, mask)
            lines = coverage > 0
            if layers is None:
                layers = [[] for _ in states]
            for layer, state in enumerate(states):
                layers[layer].append(state[lines].numpy())
            labels.append(coverage[lines].numpy())
            executions.append(torch.arange(start, start + len(ids))[:, None].expand_as(coverage)[lines].numpy())
    return [np.concatenate(rows) for rows in layers or []], np.concatenate(labels), np.concatenate(executions)


def fit_probe(vectors: np.ndarray, labels: np.ndarray, epochs: int = 200) -> nn.Linear:
    """Logistic regression (full batch, Adam, light L2) on standardized vectors."""
    torch.manual_seed(0)
    x = torch.from_numpy(vectors)
    y = torch.from_numpy((labels == EXECUTED).astype(np.float32))
    probe = nn.Linear(x.shape[1], 1)
    optimizer = torch.optim.Adam(probe.parameters(), lr=0.05, weight_decay=1e-4)
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = nn.functional.binary_cross_entropy_with_logits(probe(x).squeeze(-1), y)
        loss.backward()
        optimizer.step()
    return probe


def probe_run(name: str, run: Path, train: TraceShards, valid: TraceShards, train_count: int) -> dict:
    checkpoint = torch.load(run / "checkpoint.pt", map_location="cpu")
    encoder = CodeEncoder(EncoderConfig.from_json(checkpoint["config"]))
    encoder.load_state_dict(checkpoint["encoder"])
    encoder.eval()
    train_indexes = random.Random(0).sample(range(len(train)), min(train_count, len(train)))
    train_layers, train_labels, _ = line_vectors(encoder, train, train_indexes)
    valid_layers, valid_labels, valid_executions = line_vectors(encoder, valid, list(range(len(valid))))
    results = {"run": str(run), "train_executions": len(train_indexes), "layers": []}
    for layer, (train_vectors, valid_vectors) in enumerate(zip(train_layers, valid_layers)):
        mean, std = train_vectors.mean(axis=0), train_vectors.std(axis=0) + 1e-6
        probe = fit_probe((train_vectors - mean) / std, train_labels)
        with torch.no_grad():
            logits = probe(torch.from_numpy((valid_vectors - mean) / std)).squeeze(-1).numpy()
        predicted = np.where(logits > 0, EXECUTED, EXECUTED - 1)
        scores = coverage_accuracy(predicted, valid_labels, valid_executions)
        results["layers"].append({"layer": layer, **scores})
        print(f"{name} layer {layer}: line accuracy {scores['line_accuracy']:.4f}, full path {scores['full_path_accuracy']:.4f}", flush=True)
    majority = EXECUTED if (train_labels == EXECUTED).mean() >= 0.5 else EXECUTED - 1
    results["majority"] = coverage_accuracy(np.full_like(valid_labels, majority), valid_labels, valid_executions)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--traces", type=Path, required=True, help="folder with {train,valid}.{ids,coverage,values} (tokenizer.js traces)")
    parser.add_argument("--runs", nargs="+", required=True, help="NAME=RUN_FOLDER (a pretraining run with checkpoint.pt)")
    parser.add_argument("--train-executions", type=int, default=4000, help="training executions sampled for the probe")
    parser.add_argument("--out", type=Path, required=True, help="JSON file of the results")
    args = parser.parse_args()
    torch.set_num_threads(1)
    train, valid = TraceShards(args.traces, "train"), TraceShards(args.traces, "valid")
    results = {}
    for spec in args.runs:
        name, _, folder = spec.partition("=")
        if not folder:
            parser.error(f"--runs takes NAME=FOLDER, got {spec!r}")
        results[name] = probe_run(name, Path(folder), train, valid, args.train_executions)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
