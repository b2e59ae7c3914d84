"""Export a trained CodeEncoder to ONNX (opset 17, dynamic batch and sequence axes).

Outputs: `embedding` (batch, hidden): mean-pooled last layer, not normalized, so a runtime can cut it
to a Matryoshka prefix before normalizing; `hidden_states` (layers + 1, batch, sequence, hidden).
"""
from __future__ import annotations

from pathlib import Path

import torch

from encoder_model import CodeEncoder, ExportWrapper
from token_shards import pad_sequences

INPUT_NAMES = ["input_ids", "attention_mask"]
OUTPUT_NAMES = ["embedding", "hidden_states"]


def export_onnx(encoder: CodeEncoder, path: Path, opset: int = 17) -> None:
    wrapper = ExportWrapper(encoder).eval()
    ids = torch.randint(5, encoder.config.vocab_size, (2, 16), dtype=torch.long)
    mask = torch.ones_like(ids)
    mask[1, 12:] = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(
            wrapper,
            (ids, mask),
            str(path),
            input_names=INPUT_NAMES,
            output_names=OUTPUT_NAMES,
            dynamic_axes={
                "input_ids": {0: "batch", 1: "sequence"},
                "attention_mask": {0: "batch", 1: "sequence"},
                "embedding": {0: "batch"},
                "hidden_states": {1: "batch", 2: "sequence"},
            },
            opset_version=opset,
            do_constant_folding=True,
        )


def reference_outputs(encoder: CodeEncoder, sequences: list[list[int]]) -> dict:
    """Torch's outputs for `sequences` (padded into one batch), for the runtime's parity check."""
    wrapper = ExportWrapper(encoder).eval()
    ids, mask = map(torch.from_numpy, pad_sequences(sequences, encoder.config.pad_id))
    with torch.no_grad():
        embedding, hidden_states = wrapper(ids, mask)
    return {
        "input_ids": ids.tolist(),
        "attention_mask": mask.tolist(),
        "embedding": embedding.tolist(),
        # Every layer's first and last real token: enough to catch a wrong layer or a wrong mask.
        "hidden_states_probe": [
            [[hidden_states[layer, row, 0].tolist(), hidden_states[layer, row, len(sequence) - 1].tolist()] for row, sequence in enumerate(sequences)]
            for layer in range(hidden_states.shape[0])
        ],
    }
