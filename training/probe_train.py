"""Train AST-Probe probes (Hernández López et al., ASE 2022) on an encoder's hidden states, per language and
layer, and measure how much of the syntax tree they recover, against the same architecture with random weights.

    /usr/bin/python3 training/probe_train.py --data DATA/probe/trained --baseline DATA/probe/random \
        --model models/encoder --out models/encoder/probe

`--data` and `--baseline` are what `node dist/cli.js probe-data` wrote (src/core/probe/probeDataWriter.ts):
per language and split, one JSON line per unit (leaves, d, c, u) and per layer the leaves' word vectors
(subword tokens averaged), float16. A probe is an orthogonal projection B (rank x hidden, ||BB^T - I||^2
penalised); d is predicted as the squared distance of neighbouring projected words, c by a linear head on
their difference, u by a linear head on each projected word. Losses: the pairwise ranking loss on d
(Shen et al.), cross-entropy on c and u. Scored on held-out packages: precision, recall and F1 of the
rebuilt tree's (label, span) constituents against tree-sitter's, averaged over units.

Writes to --out: probe.json and one float32 file per language and layer (the trained encoder's probes at
--rank, which `astrolabe probe` loads), results.json, README.md (the results table); and the table as a
section of --model's MODEL_CARD.md.
"""
from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from card_sections import replace_section  # noqa: E402
from probe_spans import score, spans_from_encoding  # noqa: E402

BATCH = 32


class Split:
    """One language's units of one split: targets, and the word vectors of any layer on demand."""

    def __init__(self, folder: Path, name: str, hidden: int):
        self.folder, self.name, self.hidden = folder, name, hidden
        self.units = [json.loads(line) for line in (folder / f"{name}.jsonl").read_text().split("\n") if line.strip()]  # not splitlines(): U+2028 in a string
        self.offsets = np.cumsum([0] + [unit["leaves"] for unit in self.units])

    def vectors(self, layer: int) -> np.ndarray:
        data = np.fromfile(self.folder / f"{self.name}.L{layer}.f16", dtype="<f2").reshape(-1, self.hidden)
        assert data.shape[0] == self.offsets[-1], f"{self.name} layer {layer}: {data.shape[0]} rows, {self.offsets[-1]} leaves"
        return data.astype(np.float32)


class Labels:
    def __init__(self, counts: dict[str, int]):
        self.names = sorted(counts, key=lambda name: (-counts[name], name))
        self.index = {name: i for i, name in enumerate(self.names)}

    @staticmethod
    def of(units: list[dict], field: str) -> "Labels":
        counts: dict[str, int] = {}
        for unit in units:
            for label in unit[field]:
                counts[label] = counts.get(label, 0) + 1
        return Labels(counts)

    def ids(self, labels: list[str]) -> list[int]:
        return [self.index.get(label, -1) for label in labels]  # -1: a label training never saw


def batches(split: Split, vectors: np.ndarray, c_labels: Labels, u_labels: Labels) -> list[dict]:
    """Units bucketed by length (less padding), padded into tensors once."""
    order = sorted(range(len(split.units)), key=lambda i: split.units[i]["leaves"])
    out = []
    for start in range(0, len(order), BATCH):
        chosen = order[start : start + BATCH]
        width = max(split.units[i]["leaves"] for i in chosen)
        x = torch.zeros(len(chosen), width, split.hidden)
        d = torch.zeros(len(chosen), width - 1)
        c = torch.full((len(chosen), width - 1), -1, dtype=torch.long)
        u = torch.full((len(chosen), width), -1, dtype=torch.long)
        lengths = torch.zeros(len(chosen), dtype=torch.long)
        for row, i in enumerate(chosen):
            unit, n = split.units[i], split.units[i]["leaves"]
            x[row, :n] = torch.from_numpy(vectors[split.offsets[i] : split.offsets[i] + n])
            d[row, : n - 1] = torch.tensor(unit["d"], dtype=torch.float32)
            c[row, : n - 1] = torch.tensor(c_labels.ids(unit["c"]))
            u[row, :n] = torch.tensor(u_labels.ids(unit["u"]))
            lengths[row] = n
        out.append({"units": chosen, "x": x, "d": d, "c": c, "u": u, "lengths": lengths})
    return out


class Probe(nn.Module):
    def __init__(self, hidden: int, rank: int, c_count: int, u_count: int):
        super().__init__()
        self.projection = nn.Parameter(torch.empty(rank, hidden))
        nn.init.orthogonal_(self.projection)
        self.c_head = nn.Linear(rank, c_count)
        self.u_head = nn.Linear(rank, u_count)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        projected = x @ self.projection.T
        difference = projected[:, 1:] - projected[:, :-1]
        return (difference**2).sum(-1), self.c_head(difference), self.u_head(projected)

    def orthogonality(self) -> torch.Tensor:
        gram = self.projection @ self.projection.T
        return ((gram - torch.eye(gram.shape[0])) ** 2).sum()


def rank_loss(predicted: torch.Tensor, target: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Shen et al.'s pairwise ranking loss: where d_i > d_j, ask for predicted_i - predicted_j >= 1."""
    valid = torch.arange(predicted.shape[1])[None, :] < (lengths - 1)[:, None]
    pairs = valid[:, :, None] & valid[:, None, :] & ((target[:, :, None] - target[:, None, :]) > 0)
    margins = torch.relu(1 - (predicted[:, :, None] - predicted[:, None, :]))
    return (margins * pairs).sum() / pairs.sum().clamp(min=1)


def train_probe(train: list[dict], hidden: int, rank: int, c_count: int, u_count: int, epochs: int, orthogonal_weight: float, seed: int) -> Probe:
    torch.manual_seed(seed)
    probe = Probe(hidden, rank, c_count, u_count)
    optimizer = torch.optim.Adam(probe.parameters(), lr=5e-3)
    steps = epochs * len(train)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 0.5 * (1 + math.cos(math.pi * min(step, steps) / steps)))
    cross_entropy = nn.CrossEntropyLoss(ignore_index=-1)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for index in torch.randperm(len(train), generator=generator).tolist():
            batch = train[index]
            d, c, u = probe(batch["x"])
            loss = rank_loss(d, batch["d"], batch["lengths"])
            loss = loss + cross_entropy(c.reshape(-1, c_count), batch["c"].reshape(-1)) + cross_entropy(u.reshape(-1, u_count), batch["u"].reshape(-1))
            loss = loss + orthogonal_weight * probe.orthogonality()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
    return probe.eval()


def evaluate(probe: Probe, test: list[dict], split: Split, c_labels: Labels, u_labels: Labels) -> dict:
    """Mean precision, recall and F1 over the test units of the trees rebuilt from the probe's (d, c, u)."""
    totals = np.zeros(3)
    with torch.no_grad():
        for batch in test:
            d, c, u = probe(batch["x"])
            c_ids, u_ids = c.argmax(-1).numpy(), u.argmax(-1).numpy()
            for row, i in enumerate(batch["units"]):
                unit, n = split.units[i], split.units[i]["leaves"]
                predicted = spans_from_encoding(d[row, : n - 1].tolist(), [c_labels.names[k] for k in c_ids[row, : n - 1]], [u_labels.names[k] for k in u_ids[row, :n]])
                totals += score(predicted, spans_from_encoding(unit["d"], unit["c"], unit["u"]))
    precision, recall, f1 = totals / max(1, len(split.units))
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def probe_file(probe: Probe) -> bytes:
    """projection, c weight, c bias, u weight, u bias: little-endian float32 (src/core/probe/probeWeights.ts)."""
    parts = [probe.projection, probe.c_head.weight, probe.c_head.bias, probe.u_head.weight, probe.u_head.bias]
    return b"".join(part.detach().numpy().astype("<f4").tobytes() for part in parts)


def probe_language(language: str, args: argparse.Namespace, hidden: int, layers: int, started: float) -> tuple[dict, dict] | None:
    """One language: probes per layer for the trained and the random encoder, the m sweep at the best layer;
    writes the trained probes to --out and returns the results entry and the probe manifest entry."""
    torch.set_num_threads(1)
    ranks = sorted({int(m) for m in args.ranks.split(",") if int(m) <= hidden} | {args.rank})
    entry: dict = {"layers": {}, "sweep": {}}
    trained_layers: dict[int, tuple[Probe, dict]] = {}
    labels = None
    for name, folder in (("trained", args.data), ("random", args.baseline)):
        train_split, test_split = Split(folder, f"train-{language}", hidden), Split(folder, f"test-{language}", hidden)
        if not train_split.units or not test_split.units:
            print(f"{language}: no {name} units, skipped", flush=True)
            break
        if name == "trained":  # read first: its labels and splits serve the random encoder and the m sweep too
            trained_splits = (train_split, test_split)
            labels = (Labels.of(train_split.units, "c"), Labels.of(train_split.units, "u"))
            entry.update(trainUnits=len(train_split.units), testUnits=len(test_split.units),
                         trainLeaves=int(train_split.offsets[-1]), testLeaves=int(test_split.offsets[-1]))
        c_labels, u_labels = labels
        for layer in range(layers + 1):
            train = batches(train_split, train_split.vectors(layer), c_labels, u_labels)
            test = batches(test_split, test_split.vectors(layer), c_labels, u_labels)
            probe = train_probe(train, hidden, args.rank, len(c_labels.names), len(u_labels.names), args.epochs, args.orthogonal_weight, args.seed)
            metrics = evaluate(probe, test, test_split, c_labels, u_labels)
            metrics["orthogonality"] = round(float(probe.orthogonality().sqrt()), 4)
            entry["layers"].setdefault(str(layer), {})[name] = metrics
            if name == "trained":
                trained_layers[layer] = (probe, metrics)
            print(f"{language} {name} layer {layer} m={args.rank}: {metrics} ({time.time() - started:.0f} s)", flush=True)
    if not trained_layers or labels is None:
        return None
    c_labels, u_labels = labels
    best = max(trained_layers, key=lambda layer: trained_layers[layer][1]["f1"])
    best_random = max(range(layers + 1), key=lambda layer: entry["layers"][str(layer)].get("random", {}).get("f1", 0))
    entry.update(bestLayer=best, bestF1=trained_layers[best][1]["f1"], bestRandomLayer=best_random,
                 bestRandomF1=entry["layers"][str(best_random)]["random"]["f1"])
    # The m sweep, at the best layer.
    train_split, test_split = trained_splits
    train = batches(train_split, train_split.vectors(best), c_labels, u_labels)
    test = batches(test_split, test_split.vectors(best), c_labels, u_labels)
    for rank in ranks:
        if rank == args.rank:
            metrics = trained_layers[best][1]
        else:
            metrics = evaluate(train_probe(train, hidden, rank, len(c_labels.names), len(u_labels.names), args.epochs, args.orthogonal_weight, args.seed), test, test_split, c_labels, u_labels)
        entry["sweep"][str(rank)] = metrics["f1"]
        print(f"{language} trained layer {best} m={rank}: F1 {metrics['f1']} ({time.time() - started:.0f} s)", flush=True)
    top = max(entry["sweep"].values())
    entry["rankAt95"] = min(int(rank) for rank, f1 in entry["sweep"].items() if f1 >= 0.95 * top)

    files = []
    for layer, (probe, _) in sorted(trained_layers.items()):
        file = f"{language}.L{layer}.f32"
        (args.out / file).write_bytes(probe_file(probe))
        files.append({"layer": layer, "file": file})
    return entry, {"bestLayer": best, "rank": args.rank, "cLabels": c_labels.names, "uLabels": u_labels.names, "layers": files}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="probe data of the trained encoder")
    parser.add_argument("--baseline", type=Path, required=True, help="probe data of the random-weights encoder")
    parser.add_argument("--model", type=Path, required=True, help="the trained encoder's folder (its MODEL_CARD.md gets the results)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--rank", type=int, default=64, help="the subspace dimension m of the per-layer probes")
    parser.add_argument("--ranks", default="8,16,32,64,128,256", help="the m sweep, at each language's best layer")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--orthogonal-weight", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--languages", help="a comma-separated subset of the data's languages (default: all of them)")
    parser.add_argument("--jobs", type=int, default=1, help="languages probed at once, one process each")
    args = parser.parse_args()
    torch.set_num_threads(1)  # OpenBLAS still uses both cores; more torch threads only contend
    started = time.time()

    meta = json.loads((args.data / "meta.json").read_text())
    baseline_meta = json.loads((args.baseline / "meta.json").read_text())
    hidden, layers = meta["hiddenSize"], meta["layers"]
    results: dict = {"modelId": meta["modelId"], "baselineModelId": baseline_meta["modelId"], "rank": args.rank, "epochs": args.epochs,
                     "orthogonalWeight": args.orthogonal_weight, "languages": {}}
    manifest: dict = {"format": "astrolabe-ast-probe", "formatVersion": 1, "modelId": meta["modelId"], "hiddenSize": hidden, "languages": {}}
    args.out.mkdir(parents=True, exist_ok=True)

    languages = args.languages.split(",") if args.languages else meta["languages"]
    unknown = set(languages) - set(meta["languages"])
    if unknown:
        parser.error(f"--languages: {args.data} has no {sorted(unknown)} (it has {meta['languages']})")
    probe_one = partial(probe_language, args=args, hidden=hidden, layers=layers, started=started)
    if args.jobs > 1:
        # Languages are independent: one process each (spawned: torch and fork do not mix), two cores, two jobs.
        with ProcessPoolExecutor(max_workers=args.jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            outcomes = list(pool.map(probe_one, languages))
    else:
        outcomes = [probe_one(language) for language in languages]
    for language, outcome in zip(languages, outcomes):
        if outcome is not None:
            results["languages"][language], manifest["languages"][language] = outcome

    results["seconds"] = round(time.time() - started)
    (args.out / "probe.json").write_text(json.dumps(manifest) + "\n")
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    table = results_markdown(results, layers)
    (args.out / "README.md").write_text(
        "# AST-Probe probes of this encoder\n\nWritten by `training/probe_train.py` (training/README.md, *AST probe*); "
        "`probe.json` and the `*.f32` files are what `astrolabe probe` loads (format: src/core/probe/probeWeights.ts).\n\n" + table)
    if (args.model / "MODEL_CARD.md").exists():
        replace_section(args.model / "MODEL_CARD.md", "ast-probe", table)
    print(table)


def results_markdown(results: dict, layers: int) -> str:
    lines = [f"## AST-Probe (syntax recovered from hidden states)\n",
             f"Probes of rank m = {results['rank']} trained per language and layer on held-out-by-package code units "
             f"(training/probe_train.py, {results['epochs']} epochs); F1 of the rebuilt tree's (label, span) constituents "
             f"against tree-sitter's, mean over the test units. Baseline: the same architecture with random weights "
             f"(`{results['baselineModelId']}`), probed the same way.\n",
             "| language | units train / test | " + " | ".join(f"layer {layer} trained / random" for layer in range(layers + 1)) + " | best layer | trained best - random best |",
             "|---|---|" + "---|" * (layers + 1) + "---|---|"]
    for language, entry in results["languages"].items():
        cells = [f"{entry['layers'][str(layer)]['trained']['f1']:.3f} / {entry['layers'][str(layer)]['random']['f1']:.3f}" for layer in range(layers + 1)]
        lines.append(f"| {language} | {entry['trainUnits']} / {entry['testUnits']} | " + " | ".join(cells)
                     + f" | {entry['bestLayer']} | {entry['bestF1'] - entry['bestRandomF1']:+.3f} |")
    ranks = sorted({int(rank) for entry in results["languages"].values() for rank in entry["sweep"]})
    lines += ["", "Subspace dimension m at the best layer (trained encoder), F1:", "",
              "| language | layer | " + " | ".join(f"m={rank}" for rank in ranks) + " | m reaching 95% of the best |",
              "|---|---|" + "---|" * len(ranks) + "---|"]
    for language, entry in results["languages"].items():
        lines.append(f"| {language} | {entry['bestLayer']} | " + " | ".join(f"{entry['sweep'].get(str(rank), float('nan')):.3f}" for rank in ranks) + f" | {entry['rankAt95']} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
