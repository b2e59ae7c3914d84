"""Export a trained CodeEncoder to ONNX (opset 17, dynamic batch and sequence axes).

Inputs: `input_ids`, `attention_mask` (int64, batch x sequence), and with "log-tf" pooling `token_counts`
(float32, batch x sequence: each token's count in its unit, which a runtime embedding a unit in windows counts
over all of them). Outputs: `embedding` (batch, hidden): the pooled last layer (with the bag-of-words branch),
not normalized, so a runtime can cut it to a Matryoshka prefix before normalizing; `hidden_states`
(layers + 1, batch, sequence, hidden).
"""
from __future__ import annotations

from pathlib import Path

import torch

from encoder_model import CodeEncoder, ExportWrapper, token_counts
from token_shards import pad_sequences

INPUT_NAMES = ["input_ids", "attention_mask"]
COUNTS_INPUT = "token_counts"
OUTPUT_NAMES = ["embedding", "hidden_states"]


def input_names(encoder: CodeEncoder) -> list[str]:
    return INPUT_NAMES + ([COUNTS_INPUT] if encoder.config.pooling == "log-tf" else [])


def export_onnx(encoder: CodeEncoder, path: Path, opset: int = 17) -> None:
    wrapper = ExportWrapper(encoder).eval()
    ids = torch.randint(5, encoder.config.vocab_size, (2, 16), dtype=torch.long)
    mask = torch.ones_like(ids)
    mask[1, 12:] = 0
    names = input_names(encoder)
    inputs = (ids, mask, token_counts(ids, mask)) if COUNTS_INPUT in names else (ids, mask)
    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(
            wrapper,
            inputs,
            str(path),
            input_names=names,
            output_names=OUTPUT_NAMES,
            dynamic_axes={
                "input_ids": {0: "batch", 1: "sequence"},
                "attention_mask": {0: "batch", 1: "sequence"},
                **({COUNTS_INPUT: {0: "batch", 1: "sequence"}} if COUNTS_INPUT in names else {}),
                "embedding": {0: "batch"},
                "hidden_states": {1: "batch", 2: "sequence"},
            },
            opset_version=opset,
            do_constant_folding=True,
        )


def reference_outputs(encoder: CodeEncoder, sequences: list[list[int]]) -> dict:
    """Torch's outputs for `sequences` (padded into one batch), for the runtime's parity check; each sequence
    is its own unit (its token counts, where the model reads them, are its own)."""
    wrapper = ExportWrapper(encoder).eval()
    ids, mask = map(torch.from_numpy, pad_sequences(sequences, encoder.config.pad_id))
    counts = token_counts(ids, mask)
    with torch.no_grad():
        embedding, hidden_states = wrapper(ids, mask, counts)
    return {
        "input_ids": ids.tolist(),
        "attention_mask": mask.tolist(),
        **({COUNTS_INPUT: counts.tolist()} if COUNTS_INPUT in input_names(encoder) else {}),
        "embedding": embedding.tolist(),
        # Every layer's first and last real token: enough to catch a wrong layer or a wrong mask.
        "hidden_states_probe": [
            [[hidden_states[layer, row, 0].tolist(), hidden_states[layer, row, len(sequence) - 1].tolist()] for row, sequence in enumerate(sequences)]
            for layer in range(hidden_states.shape[0])
        ],
    }
