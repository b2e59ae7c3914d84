"""Export a completion-LM run to the folder the CLI and the extension load: int8 ONNX with a key/value
cache, config.json, the tokenizer, and a parity reference Node's tests check the ONNX model against.

    /usr/bin/python3 training/lm_export.py --run DATA/runs/lm --tokenizer models/completion/tokenizer.json --out models/completion

Graph (opset 17): inputs input_ids int64 [batch, new], past_keys/past_values float32
[layers, batch, heads, past, head_dim] (past may be 0); outputs logits [batch, vocab] for the last
position, present_keys/present_values [layers, batch, heads, past + new, head_dim]. Checked here: one
cached step matches a full recompute in torch (1e-3). parity.json holds torch's logits and greedy tokens
for a FIM prompt; test/unit/monitorModel.test.ts checks the int8 ONNX graph against them from Node.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lm_model import CompletionLM, ExportedLM, LMConfig  # noqa: E402
from quantize_int8 import quantize_int8  # noqa: E402

PARITY_PROMPT = "function area(circle) {\n  const r = circle.radius;\n  return Math."


def export_fp32(model: CompletionLM, path: Path) -> None:
    exported = ExportedLM(model).eval()
    config = model.config
    ids = torch.tensor([[5, 6, 7]], dtype=torch.long)
    past = torch.zeros(config.layers, 1, config.heads, 2, config.head_dim)
    axes_cache = {1: "batch", 3: "past"}
    torch.onnx.export(
        exported, (ids, past, past.clone()), str(path), opset_version=17,
        input_names=["input_ids", "past_keys", "past_values"], output_names=["logits", "present_keys", "present_values"],
        dynamic_axes={"input_ids": {0: "batch", 1: "new"}, "past_keys": axes_cache, "past_values": axes_cache,
                      "logits": {0: "batch"}, "present_keys": {1: "batch", 3: "total"}, "present_values": {1: "batch", 3: "total"}},
    )
    onnx.checker.check_model(onnx.load(str(path)))


def greedy(model: CompletionLM, ids: list[int], steps: int) -> tuple[list[int], np.ndarray]:
    """Torch's greedy continuation with the cache, and the prompt's next-token logits."""
    exported = ExportedLM(model).eval()
    with torch.no_grad():
        keys, values = model.empty_cache()
        logits, keys, values = exported(torch.tensor([ids]), keys, values)
        first = logits[0].numpy().copy()
        out = []
        for _ in range(steps):
            token = int(logits[0].argmax())
            out.append(token)
            logits, keys, values = exported(torch.tensor([[token]]), keys, values)
    return out, first


def check_cache(model: CompletionLM, ids: list[int]) -> float:
    """Max difference between the last logits computed in one pass and with the last token cached."""
    exported = ExportedLM(model).eval()
    with torch.no_grad():
        keys, values = model.empty_cache()
        full, _, _ = exported(torch.tensor([ids]), keys, values)
        _, keys, values = exported(torch.tensor([ids[:-1]]), keys, values)
        step, _, _ = exported(torch.tensor([ids[-1:]]), keys, values)
    return float((full - step).abs().max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", type=Path, required=True)
    parser.add_argument("--tokenizer", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--model-id", default=None)
    args = parser.parse_args()

    checkpoint = torch.load(args.run / "checkpoint.pt", map_location="cpu")
    config = LMConfig(**checkpoint["config"])
    model = CompletionLM(config)
    model.load_state_dict(checkpoint["model"])
    model.eval()
    run_config = json.loads((args.run / "config.json").read_text())
    from tokenizers import Tokenizer  # training-stage dependency (lm-venv)
    tokenizer = Tokenizer.from_file(str(args.tokenizer))
    fim_order = run_config.get("fim_order", "psm")  # runs before lm_data.py recorded the order were psm
    prefix_id, suffix_id, middle_id = (tokenizer.token_to_id(t) for t in ("<fim_prefix>", "<fim_suffix>", "<fim_middle>"))
    prefix, suffix = tokenizer.encode(PARITY_PROMPT, add_special_tokens=False).ids, tokenizer.encode("\n}\n", add_special_tokens=False).ids
    # The same layout as src/core/monitor/fimPrompt.ts, so Node's parity test replays this prompt.
    prompt = [suffix_id, *suffix, prefix_id, *prefix] if fim_order == "spm" else [prefix_id, *prefix, suffix_id, *suffix, middle_id]
    cache_error = check_cache(model, prompt)
    assert cache_error < 1e-3, f"cached step differs from full recompute by {cache_error}"

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        fp32 = Path(scratch) / "model.fp32.onnx"
        export_fp32(model, fp32)
        sizes = quantize_int8(fp32, args.out / "model.onnx")
    if args.tokenizer.resolve() != (args.out / "tokenizer.json").resolve():
        shutil.copyfile(args.tokenizer, args.out / "tokenizer.json")
    tokens, logits = greedy(model, prompt, 8)
    step = checkpoint["state"]["step"]
    model_id = args.model_id or f"astrolabe-completion-{config.layers}L{config.hidden_size}H-step{step}"
    (args.out / "config.json").write_text(json.dumps({
        "format": "astrolabe-completion-lm", "version": 1, "modelId": model_id,
        "vocabSize": config.vocab_size, "layers": config.layers, "heads": config.heads, "headDim": config.head_dim,
        "hiddenSize": config.hidden_size, "maxPositions": config.max_positions,
        "contextTokens": min(config.max_positions, run_config.get("train_seq", config.max_positions)),
        "fimOrder": fim_order, "onnx": "model.onnx", "tokenizer": "tokenizer.json", "quantization": "int8-dynamic",
        # Runs before lm_train.py recorded their languages leave it out: the runtime reads that as every language.
        **({"languages": run_config["languages"]} if "languages" in run_config else {}),
    }, indent=2) + "\n")
    (args.out / "parity.json").write_text(json.dumps({
        "prompt": PARITY_PROMPT, "suffix": "\n}\n", "promptIds": prompt, "greedyIds": tokens,
        "logits": [round(float(x), 4) for x in logits],
    }) + "\n")
    print(json.dumps({**sizes, "model_id": model_id, "cache_error": cache_error, "greedy": tokenizer.decode(tokens)}))


if __name__ == "__main__":
    main()
