"""Turn a training run into a model folder the runtime loads (models/encoder/ for the default model).

    /usr/bin/python3 training/export_model.py --run DATA/runs/contrastive --tokenizer DATA/tokenizer.json \
        --samples DATA/shards/valid --out models/encoder --model-id astrolabe-code-encoder-v1

Writes model.onnx (int8), config.json (with the mean normalized embedding of real code units at each
Matryoshka dimension: clone detection centres small workspaces' vectors on it), tokenizer.json, and parity/: torch's outputs on real validation
sequences (reference.json, committed) and the fp32 export (model.fp32.onnx, not committed). The benchmark
compares onnxruntime against them: fp32 max abs diff < 1e-4 where the fp32 file is present, int8 cosine >= 0.99.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from encoder_model import POOLINGS, CodeEncoder, EncoderConfig  # noqa: E402
from export_onnx import export_onnx, reference_outputs  # noqa: E402
from quantize_int8 import quantize_int8  # noqa: E402
from token_shards import TokenShard, pad_sequences  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", type=Path, required=True, help="a run folder with checkpoint.pt and config.json")
    parser.add_argument("--tokenizer", type=Path, required=True)
    parser.add_argument("--samples", type=Path, required=True, help="a shard of real sequences for the parity check")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--model-id", required=True)
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--dimensions", default="64,128,256")
    parser.add_argument("--pooling", choices=POOLINGS, help="pool another way than the run did (default: the run's; see EncoderConfig)")
    parser.add_argument("--type4-similarity", type=float,
                        help="the Type-4 clone threshold for this model, read off the clone-poj104 bench's sweep (README)")
    args = parser.parse_args()
    assert args.type4_similarity is None or 0 < args.type4_similarity <= 1, "--type4-similarity must be in (0, 1]"

    config = EncoderConfig.load(args.run / "config.json")
    if args.pooling is not None:  # pooling has no weights: a run's may be exported another way
        config = dataclasses.replace(config, pooling=args.pooling)
    encoder = CodeEncoder(config)
    encoder.load_state_dict(torch.load(args.run / "checkpoint.pt", map_location="cpu")["encoder"])
    encoder.eval()

    args.out.mkdir(parents=True, exist_ok=True)
    parity = args.out / "parity"
    parity.mkdir(exist_ok=True)
    export_onnx(encoder, parity / "model.fp32.onnx")
    sizes = quantize_int8(parity / "model.fp32.onnx", args.out / "model.onnx")
    target = args.out / "tokenizer.json"
    if not (target.exists() and target.samefile(args.tokenizer)):  # a model re-exported with its own vocabulary
        shutil.copyfile(args.tokenizer, target)

    samples = TokenShard(args.samples)
    step = max(1, len(samples) // 16)
    sequences = [list(samples.sequence(i))[: args.max_tokens] for i in range(0, min(len(samples), 16 * step), step)][:16]
    (parity / "reference.json").write_text(json.dumps(reference_outputs(encoder, sequences)))

    dimensions = [int(d) for d in args.dimensions.split(",") if int(d) < config.hidden_size] + [config.hidden_size]
    means = mean_embeddings(encoder, samples, dimensions, args.max_tokens)
    (args.out / "config.json").write_text(json.dumps({
        "format": "astrolabe-encoder", "formatVersion": 1, "modelId": args.model_id,
        "onnx": "model.onnx", "tokenizer": "tokenizer.json",
        "hiddenSize": config.hidden_size, "layers": config.layers, "maxTokens": min(args.max_tokens, config.max_positions),
        "dimensions": dimensions,
        "meanEmbeddings": {str(d): [round(v, 6) for v in means[d]] for d in dimensions},
        **({"type4Similarity": args.type4_similarity} if args.type4_similarity is not None else {}),
    }, indent=2) + "\n")
    print(json.dumps({**sizes, "parity_sequences": len(sequences), "out": str(args.out)}))


def mean_embeddings(encoder: CodeEncoder, samples: TokenShard, dimensions: list[int], max_tokens: int, count: int = 1024) -> dict[int, list[float]]:
    """The mean of the unit-normalized embeddings (each Matryoshka prefix normalized on its own, as the
    runtime does) of `count` sequences spread over the shard."""
    step = max(1, len(samples) // count)
    indexes = list(range(0, len(samples), step))[:count]
    sums = {d: torch.zeros(d, dtype=torch.float64) for d in dimensions}
    with torch.no_grad():
        for start in range(0, len(indexes), 32):
            ids, mask = map(torch.from_numpy, pad_sequences([samples.sequence(i)[:max_tokens] for i in indexes[start : start + 32]], encoder.config.pad_id))
            pooled = encoder.pool(encoder(ids, mask)[-1], ids, mask)
            for d in dimensions:
                sums[d] += torch.nn.functional.normalize(pooled[:, :d], dim=-1).sum(dim=0).double()
    return {d: (sums[d] / len(indexes)).tolist() for d in dimensions}


if __name__ == "__main__":
    main()
