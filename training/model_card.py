"""Write models/<name>/MODEL_CARD.md from what the pipeline recorded: corpus stats, the training runs'
summaries and logs, and the benchmark results (bench/results/*.json from `npm run bench`).

    /usr/bin/python3 training/model_card.py --model models/encoder --corpus DATA/corpus --runs DATA/runs/mlm DATA/runs/contrastive \
        --results bench/results --baseline-results DATA/random-results --commands DATA/pipeline.sh
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from card_sections import kept_sections  # noqa: E402


def table(rows: list[list[str]]) -> str:
    head, *body = rows
    return "\n".join(["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + ["| " + " | ".join(row) + " |" for row in body])


def bench_rows(results: Path, name: str) -> list[dict]:
    path = results / f"{name}.json"
    return json.loads(path.read_text())["rows"] if path.exists() else []


def fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.2e}" if 0 < abs(value) < 1e-3 else f"{value:.4f}" if abs(value) < 1 else f"{value:,.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def example_pairs_lines(manifest_path: Path) -> list[str]:
    """The Data section's paragraph on the question-shaped pairs read off documentation pages (training/corpus/doc_pairs.py)."""
    manifest = json.loads(manifest_path.read_text())
    packages = [p for p in manifest["packages"] if p["pairs"]]
    licenses: dict[str, int] = {}
    for package in packages:
        licenses[package["license"]] = licenses.get(package["license"], 0) + 1
    largest = ", ".join(f"{p['package']} {fmt(p['pairs'])}" for p in sorted(packages, key=lambda p: -p["pairs"])[:5])
    kinds = ", ".join(f"{kind} {fmt(count)}" for kind, count in manifest["pairs"].items())
    return [f"Question-shaped pairs from documentation pages (`training/corpus/doc_pairs.py`): {fmt(sum(manifest['pairs'].values()))} (question, Python code) "
            f"pairs read off the reST sources of {len(packages)} Debian documentation packages ({kinds}; largest: {largest}), each question also in search style; "
            f"dropped as overlapping CoSQA or POJ-104: {json.dumps(manifest['dropped'])}. Licenses (from each package's copyright file; the manifest names them per package): "
            + ", ".join(f"{name} {count}" for name, count in sorted(licenses.items(), key=lambda kv: -kv[1])[:6])
            + (f" and {len(licenses) - 6} more" if len(licenses) > 6 else "") + ".", ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--runs", type=Path, nargs="+", required=True)
    parser.add_argument("--results", type=Path, required=True)
    parser.add_argument("--baseline-results", type=Path, help="bench results of a randomly initialised model of the same shape")
    parser.add_argument("--commands", type=Path, help="the script that ran the pipeline, quoted in the card")
    parser.add_argument("--notes", default="", help="free text: what this model is and is not")
    parser.add_argument("--example-pairs-manifest", type=Path,
                        help="the manifest doc_pairs.py wrote beside the documentation pairs a stage drew (<out>.manifest.json)")
    args = parser.parse_args()

    config = json.loads((args.model / "config.json").read_text())
    stats = json.loads((args.corpus / "stats.json").read_text())
    bag_of_words = json.loads((args.runs[-1] / "config.json").read_text()).get("bag_of_words", False)  # the last run is the shipped one
    overlap = stats.get("overlap", {})
    lines = [f"# {config['modelId']}", "", args.notes, "",
             "## Model", "",
             table([["field", "value"],
                    ["architecture", f"BERT-style encoder, pre-LayerNorm, {config['layers']} layers, hidden {config['hiddenSize']}, mean pooling"
                     + (" plus a bag-of-words branch (its own token table, mean-pooled; the two means normalized and added)" if bag_of_words else "")],
                    ["embedding dimensions (Matryoshka)", ", ".join(map(str, config["dimensions"]))],
                    ["max tokens", str(config["maxTokens"])],
                    ["file", f"{config['onnx']} (int8 dynamic quantization), {(args.model / config['onnx']).stat().st_size / 1e6:.1f} MB"],
                    ["tokenizer", f"{config['tokenizer']} (WordPiece, {json.loads((args.model / config['tokenizer']).read_text())['vocabSize']} tokens)"]]),
             "", "## Data", "",
             f"Public code reachable from this machine (Debian packages and their sources, npm packages), cut into code units by Astrolabe's own chunker; "
             f"deduplicated (exact and MinHash near-duplicates), split by package, with evaluation overlap removed: {overlap.get('removed', '?')} units "
             f"matching CoSQA or POJ-104 items were dropped ({json.dumps(overlap.get('by_reason', {}))}). Provenance and licenses: the corpus manifest.",
             "",
             table([["split", "units", "bytes", "whitespace tokens"]] + [[split, fmt(v["units"]), fmt(v["bytes"]), fmt(v["tokens"])] for split, v in stats.get("splits", {}).items()]),
             "", table([["language (train)", "units"]] + [[key.split("/")[0], fmt(v["units"])] for key, v in sorted(stats.get("languages", {}).items()) if key.endswith("/train")]),
             ""] + (example_pairs_lines(args.example_pairs_manifest) if args.example_pairs_manifest else []) + ["## Training", ""]
    run_rows = [["run", "steps", "seen", "wall time", "final"]]
    for run in args.runs:
        summary = json.loads((run / "summary.json").read_text()) if (run / "summary.json").exists() else {}
        seen = f"{fmt(summary['tokens'])} tokens" if "tokens" in summary else f"{fmt(summary.get('pairs', 0))} pairs"
        final = ", ".join(f"{k} {fmt(v)}" for k, v in summary.items() if k.startswith("valid"))
        run_rows.append([run.name, fmt(summary.get("step", 0)), seen, f"{summary.get('minutes', 0):.1f} min", final])
    lines += [table(run_rows), ""]
    if args.commands and args.commands.exists():
        lines += ["Commands (2 CPU cores, Debian torch with OpenBLAS):", "", "```sh", args.commands.read_text().strip(), "```", ""]
    lines += ["## Measured (`npm run bench`, one run)", ""]
    for name in ("encoder-quality", "encoder-parity", "encoder-throughput"):
        rows = bench_rows(args.results, name)
        if rows:
            lines += [table([["case", "metric", "value", "bar"]] + [[row["case"], metric, fmt(value), ("met" if row.get("meetsBar") else "missed") if row.get("bar", {}).get("metric") == metric else ""] for row in rows for metric, value in row["metrics"].items()]), ""]
    if args.baseline_results:
        rows = bench_rows(args.baseline_results, "encoder-quality")
        if rows:
            lines += ["Randomly initialised model of the same shape and tokenizer (the baseline the issue asks for):", "",
                      table([["case", "metric", "value"]] + [[row["case"], metric, fmt(value)] for row in rows for metric, value in row["metrics"].items()]), ""]
    # Sections other scripts wrote (AST-Probe, execution comparison) stay until those scripts rerun.
    kept = kept_sections(args.model / "MODEL_CARD.md")
    (args.model / "MODEL_CARD.md").write_text("\n".join(lines) + "\n" + "".join("\n" + section for section in kept))
    print(f"wrote {args.model / 'MODEL_CARD.md'}")


if __name__ == "__main__":
    main()
