"""A tiny end-to-end run of the encoder pipeline, for CI: train a few masked-LM steps on synthetic
sequences, export fp32 and int8 ONNX, and write torch's outputs so the Node runtime can check parity.

    /usr/bin/python3 training/smoke.py --out DIR
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from encoder_model import CodeEncoder, EncoderConfig  # noqa: E402
from export_onnx import export_onnx, reference_outputs  # noqa: E402
from masked_lm import MaskedLMHead, mask_tokens, masked_lm_loss  # noqa: E402
from quantize_int8 import quantize_int8  # noqa: E402

PAD, UNK, CLS, SEP, MASK = range(5)
FIRST_REGULAR = 5


def synthetic_batch(generator: torch.Generator, vocab: int, batch: int = 16, length: int = 24) -> tuple[torch.Tensor, torch.Tensor]:
    """Sequences with structure to learn: each token is the previous one plus a per-sequence step."""
    start = torch.randint(FIRST_REGULAR, vocab, (batch, 1), generator=generator)
    step = torch.randint(1, 4, (batch, 1), generator=generator)
    body = FIRST_REGULAR + (start - FIRST_REGULAR + step * torch.arange(length - 2)) % (vocab - FIRST_REGULAR)
    ids = torch.cat([torch.full((batch, 1), CLS), body, torch.full((batch, 1), SEP)], dim=1)
    return ids, torch.ones_like(ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=80)
    parser.add_argument("--vocab-size", type=int, default=64, help="to match a tokenizer file copied in later")
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    # With the bag-of-words branch and count-weighted pooling, so that parity covers every part of the graph a model can have.
    config = EncoderConfig(vocab_size=args.vocab_size, hidden_size=32, layers=2, heads=2, ffn_size=64, max_positions=64, dropout=0.0, bag_of_words=True, pooling="log-tf")
    encoder = CodeEncoder(config)
    mlm_head = MaskedLMHead(encoder)
    optimizer = torch.optim.AdamW(list(encoder.parameters()) + list(mlm_head.parameters()), lr=3e-3)
    generator = torch.Generator().manual_seed(1)
    losses = []
    for _ in range(args.steps):
        ids, mask = synthetic_batch(generator, config.vocab_size)
        masked, labels = mask_tokens(ids, mask, MASK, config.vocab_size, FIRST_REGULAR, probability=0.3, generator=generator)
        loss = masked_lm_loss(encoder, mlm_head, masked, mask, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    encoder.eval()

    # Three encoder folders: fp32, int8, and one whose ONNX file is valid but not an encoder.
    for name in ("fp32", "int8", "mismatched"):
        (args.out / name).mkdir(parents=True, exist_ok=True)
        (args.out / name / "config.json").write_text(json.dumps({
            "format": "astrolabe-encoder", "formatVersion": 1, "modelId": f"smoke-{name}", "onnx": "model.onnx",
            "tokenizer": "tokenizer.json", "hiddenSize": config.hidden_size, "layers": config.layers,
            "maxTokens": config.max_positions, "dimensions": [16, 32],
        }))
    export_onnx(encoder, args.out / "fp32" / "model.onnx")
    quantization = quantize_int8(args.out / "fp32" / "model.onnx", args.out / "int8" / "model.onnx", embedding_min_rows=min(32, args.vocab_size))
    torch.onnx.export(torch.nn.Linear(4, 2), (torch.zeros(1, 4),), str(args.out / "mismatched" / "model.onnx"), input_names=["x"], output_names=["y"], opset_version=17)
    samples = [[CLS, 10, 11, 10, 10, 13, SEP], [CLS, 40, 42, SEP], [CLS, 7, SEP]]  # repeats: counts above 1
    (args.out / "reference.json").write_text(json.dumps(reference_outputs(encoder, samples)))
    print(json.dumps({"first_loss": sum(losses[:5]) / 5, "last_loss": sum(losses[-5:]) / 5, **quantization}))


if __name__ == "__main__":
    main()
