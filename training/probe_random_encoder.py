"""The AST-Probe baseline: an encoder of the same architecture as a trained one, with random weights,
exported the same way (int8 ONNX, same tokenizer), so probing it measures what structure the probe finds
without any training.

    /usr/bin/python3 training/probe_random_encoder.py --like models/encoder --out ~/.cache/astrolabe/probe/random-encoder \
        [--run-config RUN/config.json] [--seed 1]

The architecture comes from the run's config.json when given; otherwise from the model folder's
config.json (hidden size, layers, max tokens) with the training defaults for heads (hidden/64) and FFN (4x hidden).
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from encoder_model import CodeEncoder, EncoderConfig  # noqa: E402
from export_onnx import export_onnx  # noqa: E402
from quantize_int8 import quantize_int8  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--like", type=Path, required=True, help="the trained model folder (config.json, tokenizer)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--run-config", type=Path, help="the training run's config.json (exact architecture)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    model = json.loads((args.like / "config.json").read_text())
    tokenizer = json.loads((args.like / model["tokenizer"]).read_text())
    if args.run_config:
        config = EncoderConfig.load(args.run_config)
    else:
        hidden = model["hiddenSize"]
        config = EncoderConfig(vocab_size=tokenizer["vocabSize"], hidden_size=hidden, layers=model["layers"],
                               heads=max(1, hidden // 64), ffn_size=4 * hidden, max_positions=max(512, model["maxTokens"]))
    torch.manual_seed(args.seed)
    encoder = CodeEncoder(config).eval()  # the training code's own initialization, untrained

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        fp32 = Path(scratch) / "model.fp32.onnx"
        export_onnx(encoder, fp32)
        sizes = quantize_int8(fp32, args.out / "model.onnx")
    shutil.copyfile(args.like / model["tokenizer"], args.out / "tokenizer.json")
    (args.out / "config.json").write_text(json.dumps({
        **model, "modelId": f"random-init-{config.layers}x{config.hidden_size}-seed{args.seed}", "onnx": "model.onnx", "tokenizer": "tokenizer.json",
    }, indent=2) + "\n")
    print(json.dumps({**sizes, "config": config.to_json(), "out": str(args.out)}))


if __name__ == "__main__":
    main()
