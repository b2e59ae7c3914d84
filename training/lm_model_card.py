"""Write models/completion/MODEL_CARD.md from what the pipeline recorded: the tokenizer, the data
(lm_data.py's data.json), the training run (summary.json, log.jsonl) and the completion benchmark
(bench/results/completion.json from `node out/bench/run.js completion`).

    /usr/bin/python3 training/lm_model_card.py --model models/completion --data DATA/lm-data --run DATA/runs/lm --results bench/results
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path


def table(rows: list[list[str]]) -> str:
    head, *body = rows
    return "\n".join(["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + ["| " + " | ".join(row) + " |" for row in body])


def fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:,.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--run", type=Path, required=True)
    parser.add_argument("--results", type=Path, required=True)
    args = parser.parse_args()
    config = json.loads((args.model / "config.json").read_text())
    data = json.loads((args.data / "data.json").read_text())
    summary = json.loads((args.run / "summary.json").read_text())
    log = [json.loads(line) for line in (args.run / "log.jsonl").read_text().splitlines() if line.strip()]
    curve = [record for record in log if "valid_loss" in record]
    bench_path = args.results / "completion.json"
    bench = json.loads(bench_path.read_text()) if bench_path.exists() else None
    params = config["vocabSize"] * config["hiddenSize"] + config["maxPositions"] * config["hiddenSize"] + config["layers"] * 12 * config["hiddenSize"] ** 2
    onnx_bytes = (args.model / config["onnx"]).stat().st_size

    lines = [
        f"# {config['modelId']}",
        "",
        "Astrolabe's code completion model (issue 7, monitor-guided decoding): a small GPT-style causal LM",
        "trained here from scratch on the corpus's JavaScript/TypeScript units, with fill-in-the-middle, run by",
        "onnxruntime-node in int8 with a key/value cache. Made by `training/lm_*.py` (training/README.md).",
        "",
        "## Model",
        "",
        table([["", ""],
               ["architecture", f"decoder-only transformer, {config['layers']} layers, hidden {config['hiddenSize']}, {config['heads']} heads, learned positions (max {config['maxPositions']}), tied embeddings"],
               ["parameters", f"about {params / 1e6:.1f}M"],
               ["tokenizer", f"byte-level BPE, {config['vocabSize']:,} tokens (lossless: any text round-trips), trained on the same units; specials `<\\|endoftext\\|>`, `<fim_prefix>`, `<fim_middle>`, `<fim_suffix>`, `<fim_pad>`"],
               ["context", f"trained on windows of {config['contextTokens']} tokens: prompt + completion are cut to fit"],
               ["file", f"`{config['onnx']}`, {onnx_bytes / 1e6:.1f} MB, int8 dynamic quantization (MatMulInteger, int8 embedding table), opset 17, inputs input_ids/past_keys/past_values, outputs logits (last position)/present_keys/present_values"],
               ["prompt format", "`<fim_prefix>` prefix `<fim_suffix>` suffix `<fim_middle>` -> middle, then `<\\|endoftext\\|>`"]]),
        "",
        "## Data",
        "",
        f"Corpus units in JavaScript/TypeScript (`training/corpus/`), FIM rate {data['fim_rate']} (prefix-suffix-middle, split at two random "
        + ("positions between words" if data.get("fim_split") == "boundary" else "characters") + " of a unit).",
        "Validation: held-out packages (" + ", ".join(data["valid_packages"]) + ").",
        "",
        table([["split", "units", "bytes", "tokens"]] + [[name, fmt(data[name]["units"]), fmt(data[name]["bytes"]), fmt(data[name]["tokens"])] for name in ("train", "valid")]),
        "",
        "## Training",
        "",
        table([["", ""],
               ["steps", fmt(summary["step"])],
               ["tokens seen", f"{fmt(summary['tokens'])} ({summary['tokens'] / data['train']['tokens']:.2f} epochs)"],
               ["wall time", f"{summary['minutes']:.1f} min on 2 shared CPU cores"],
               ["validation loss", f"{summary['valid_loss']:.3f} nats/token (perplexity {math.exp(summary['valid_loss']):.1f}) on {summary.get('valid_windows', '?')} windows of {summary.get('train_seq', '?')} tokens"]]),
        "",
        "Validation loss during training: " + ", ".join(f"step {r['step']}: {r['valid_loss']:.3f}" for r in curve) + ".",
        "",
    ]
    if bench:
        lines += ["## Dereference benchmark (`node out/bench/run.js completion`)", "",
                  "Prompts at each `.` inside a method of @azure/msal-common's TypeScript sources (files with no diagnostics;",
                  "not in the training corpus), completion to the end of the line, greedy, at most 32 tokens. NIM: the first",
                  "identifier equals the true next identifier; ISM: share of the true line's identifiers matched as a prefix;",
                  "PM: the same over lexemes; compilation: no TypeScript diagnostics in the completed file.", ""]
        rows = [["case", "metric", "value", "bar"]]
        for row in bench["rows"]:
            for metric, value in row["metrics"].items():
                bar = ""
                if row.get("bar", {}).get("metric") == metric:
                    limit = f">= {row['bar']['atLeast']}" if "atLeast" in row["bar"] else f"<= {row['bar']['atMost']}"
                    bar = f"{limit}: {'met' if row['meetsBar'] else 'MISSED'}"
                rows.append([row["case"], metric, fmt(value), bar])
        lines += [table(rows), "", f"Measured {bench['date'][:10]} on {bench['machine']['cpus']} CPU cores shared with other training runs (latency is inflated by that load).", ""]
    lines += ["## Limits", "",
              "- Trained for minutes on two shared CPU cores: the model knows common JS/TS tokens and little else. Its plain",
              "  completions are rarely right; the monitor makes the next identifier legal, not likely. More training",
              "  (`--minutes` raised, the same command resumes) or a GPU run is the first lever.",
              "- JavaScript/TypeScript only so far; other languages need their corpus units added in lm_data.py.",
              "- FIM cuts fall between words and outside white-space runs (`cursor_positions` in lm_data.py): cuts",
              "  inside words taught an earlier model to start after `.` with a word fragment, cuts in indentation",
              "  to start with blanks. Without the monitor this model still seldom writes a member after `obj.`.",
              "- The prompt window is the trained 256 tokens (about 600 characters of prefix): little of the file is",
              "  visible. Training at `--seq 512` or more is the next lever for copying names from context.", ""]
    (args.model / "MODEL_CARD.md").write_text("\n".join(lines))
    print(f"wrote {args.model / 'MODEL_CARD.md'}")


if __name__ == "__main__":
    main()
