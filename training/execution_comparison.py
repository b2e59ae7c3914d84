"""The issue-8 report: static-only against execution-aware (TRACED-style) pretraining, same model and steps,
written into the encoder's MODEL_CARD.md (its own section, replaced on each run) and beside it as JSON.

    /usr/bin/python3 training/execution_comparison.py --model models/encoder --collection DATA/traces/report.json \
        --trace-shards DATA/trace-shards --probe DATA/traces/probe.json \
        --runs static=DATA/runs/mlm-static traced=DATA/runs/mlm-traced \
        --results static=DATA/results-mlm-static traced=DATA/results-mlm-traced \
        --finetuned-results static=DATA/results-ft-static traced=DATA/results-ft-traced --finetuning "80 steps of 64 pairs" \
        --notes "what the traces bought"

Inputs: the collector's report (executions by language and status), the trace shards' metadata (what
training saw), each run's summary.json, trace_probe.py's JSON (a linear probe of held-out line coverage per
layer) and each run's `encoder-quality` bench results (CoSQA dev MRR, POJ-104 dev MAP@R, from the exported run),
mean pooled as pretrained and, where given, after one and the same short contrastive stage.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from card_sections import replace_section  # noqa: E402

SECTION = "execution-comparison"


def named_folders(specs: list[str], parser: argparse.ArgumentParser, flag: str) -> dict[str, Path]:
    folders = {}
    for spec in specs:
        name, _, folder = spec.partition("=")
        if not folder:
            parser.error(f"{flag} takes NAME=FOLDER, got {spec!r}")
        folders[name] = Path(folder)
    return folders


def retrieval(results: Path) -> dict[str, float]:
    """CoSQA dev MRR (full width) and POJ-104 dev MAP@R from an encoder-quality bench run."""
    rows = json.loads((results / "encoder-quality.json").read_text())["rows"]
    found = {}
    for row in rows:
        if "CoSQA" in row["case"] and row.get("bar"):  # the full-width row carries the bar
            found["cosqa_mrr"] = row["metrics"]["MRR"]
        elif "POJ-104" in row["case"]:
            found["poj104_map_at_r"] = row["metrics"]["MAP@R"]
    return found


def shard_summary(folder: Path) -> dict:
    summary = {}
    for split in ("train", "valid"):
        meta = json.loads((folder / f"{split}.ids.json").read_text())
        summary[split] = {"executions": meta["sequences"], "tokens": meta["tokens"]}
    return summary


def comparison(args, parser) -> dict:
    runs = named_folders(args.runs, parser, "--runs")
    results = named_folders(args.results, parser, "--results")
    finetuned = named_folders(args.finetuned_results, parser, "--finetuned-results")
    probe = json.loads(args.probe.read_text())
    if set(runs) != set(results) or not set(runs) <= set(probe) or (finetuned and set(finetuned) != set(runs)):
        parser.error(f"--runs, --results and the probe file must name the same runs: {sorted(runs)}, {sorted(results)}, {sorted(probe)}")
    report = {"collection": json.loads(args.collection.read_text()), "trace_shards": shard_summary(args.trace_shards), "runs": {}}
    for name, folder in runs.items():
        summary = json.loads((folder / "summary.json").read_text())
        layers = probe[name]["layers"]
        best = max(layers, key=lambda layer: layer["line_accuracy"])
        report["runs"][name] = {
            "steps": summary["step"], "tokens": summary["tokens"], "minutes": round(summary["minutes"], 1),
            "trace_steps": summary.get("trace_steps", 0), "valid_mlm_loss": summary["valid_loss"],
            "probe_layers": layers, "probe_best_layer": best["layer"], "probe_majority": probe[name]["majority"],
            **retrieval(results[name]),
            **({f"finetuned_{key}": value for key, value in retrieval(finetuned[name]).items()} if finetuned else {}),
        }
    if finetuned:
        report["finetuning"] = args.finetuning
    return report


def fmt(value: float) -> str:
    return f"{value:.4f}" if isinstance(value, float) else f"{value:,}"


def card_section(report: dict, notes: str) -> str:
    names = list(report["runs"])
    runs = report["runs"]
    collection = report["collection"]
    statuses = collection["by_language_and_status"]
    dropped = {status: sum(by.get(status, 0) for by in statuses.values()) for status in ("timeout", "crash", "memory", "blocked")}
    rows = [["", *names]]
    rows.append(["steps (of them on traced executions)", *[f"{fmt(r['steps'])} ({fmt(r['trace_steps'])})" for r in runs.values()]])
    rows.append(["tokens seen", *[fmt(r["tokens"]) for r in runs.values()]])
    rows.append(["wall time (two runs sharing 2 CPU cores)", *[f"{r['minutes']} min" for r in runs.values()]])
    rows.append(["validation masked-LM loss", *[fmt(r["valid_mlm_loss"]) for r in runs.values()]])
    layer_count = len(next(iter(runs.values()))["probe_layers"])
    for layer in range(layer_count):
        rows.append([f"held-out line coverage, linear probe, layer {layer} (line / full path)",
                     *[f"{fmt(r['probe_layers'][layer]['line_accuracy'])} / {fmt(r['probe_layers'][layer]['full_path_accuracy'])}" for r in runs.values()]])
    rows.append(["best probe layer", *[str(r["probe_best_layer"]) for r in runs.values()]])
    majority = next(iter(runs.values()))["probe_majority"]
    rows.append(["majority class (line / full path)", *[f"{fmt(majority['line_accuracy'])} / {fmt(majority['full_path_accuracy'])}"] * len(names)])
    rows.append(["CoSQA dev MRR (mean pooled, no contrastive stage)", *[fmt(r.get("cosqa_mrr", float("nan"))) for r in runs.values()]])
    rows.append(["POJ-104 dev MAP@R (same)", *[fmt(r.get("poj104_map_at_r", float("nan"))) for r in runs.values()]])
    if "finetuning" in report:
        rows.append([f"CoSQA dev MRR after the same contrastive stage ({report['finetuning']})", *[fmt(r["finetuned_cosqa_mrr"]) for r in runs.values()]])
        rows.append(["POJ-104 dev MAP@R after it", *[fmt(r["finetuned_poj104_map_at_r"]) for r in runs.values()]])
    shards = report["trace_shards"]
    lines = [
        "## Execution-aware pretraining (TRACED-style, issue 8)", "",
        notes, "",
        f"Traces (`training/traces/collect.py`): {sum(collection['executions'].values()):,} finished executions "
        f"({', '.join(f'{lang} {n:,}' for lang, n in collection['executions'].items())}) of "
        f"{sum(collection['functions_traced'].values()):,} functions; contained and dropped: "
        + ", ".join(f"{status} {count:,}" for status, count in dropped.items() if count)
        + f". Distinct executions in the shards: {shards['train']['executions']:,} for training ({shards['train']['tokens']:,} tokens), "
        f"{shards['valid']['executions']:,} held out by package ({majority['executions']:,} probed, {majority['lines']:,} labelled lines).",
        "",
        "Same model (4 layers, hidden 256), same steps, batch and schedule; the execution-aware run spends half its steps on traced "
        "executions (code, then the input; masked-LM plus line coverage and value categories). The probe: logistic regression on one "
        "layer's vector at each line's first token, trained on executions of the training packages, scored on the held-out packages "
        "(`training/trace_probe.py`).",
        "",
        "| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0]),
        *["| " + " | ".join(row) + " |" for row in rows[1:]],
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True, help="the encoder folder whose MODEL_CARD.md gets the section")
    parser.add_argument("--collection", type=Path, required=True, help="the collector's report.json")
    parser.add_argument("--trace-shards", type=Path, required=True)
    parser.add_argument("--probe", type=Path, required=True, help="trace_probe.py's JSON")
    parser.add_argument("--runs", nargs="+", required=True, help="NAME=RUN_FOLDER (pretraining runs with summary.json)")
    parser.add_argument("--results", nargs="+", required=True, help="NAME=BENCH_RESULTS_FOLDER (encoder-quality.json of the exported run)")
    parser.add_argument("--finetuned-results", nargs="*", default=[],
                        help="NAME=BENCH_RESULTS_FOLDER of each run after the same short contrastive stage (finetune_contrastive.py --init RUN)")
    parser.add_argument("--finetuning", default="", help="that stage, in words (steps, batch)")
    parser.add_argument("--notes", default="", help="what the traces bought, in words")
    args = parser.parse_args()
    report = comparison(args, parser)
    (args.model / "execution-comparison.json").write_text(json.dumps(report, indent=2) + "\n")
    replace_section(args.model / "MODEL_CARD.md", SECTION, card_section(report, args.notes))
    print(f"wrote {args.model / 'execution-comparison.json'} and the card's section")


if __name__ == "__main__":
    main()
