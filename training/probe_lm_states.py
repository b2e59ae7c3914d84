"""AST-Probe word vectors from the completion LM (a causal transformer), for the same trees as the encoder's.

    node dist/cli.js probe-data --with-text --out DATA/probe/units
    ~/.cache/astrolabe/lm-venv/bin/python training/probe_lm_states.py --units DATA/probe/units \
        --run DATA/runs/lm-all --tokenizer models/completion/tokenizer.json --out DATA/probe/lm-trained
    ... --random-seed 1 --out DATA/probe/lm-random        (the same architecture with random weights)
    /usr/bin/python3 training/probe_train.py --data DATA/probe/lm-trained --baseline DATA/probe/lm-random ...

Reads probe data written with `--with-text` (each unit's text and its leaves' UTF-16 spans) and writes the
same folder layout with the LM's states: per layer (0 = embeddings, L = after the final LayerNorm), each
leaf's vector is the mean of the states of the byte-level BPE tokens overlapping it (a token may span
two leaves, e.g. `).`, and then counts for both). The unit is read left to right after `<|endoftext|>`, as
in the LM's training streams. Tells whether a model trained on the same corpus with a denser objective
holds syntax, against its own random twin (a causal model's random baseline differs from a
bidirectional encoder's).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lm_model import CompletionLM, LMConfig  # noqa: E402


def code_point_offsets(text: str) -> list[int]:
    """For each UTF-16 offset into `text`, the code point offset (Node's string indices vs Python's)."""
    offsets = []
    for index, char in enumerate(text):
        offsets.extend([index] * (2 if ord(char) > 0xFFFF else 1))
    offsets.append(len(text))
    return offsets


def leaf_tokens(spans: list[list[int]], token_offsets: list[tuple[int, int]], text: str) -> list[np.ndarray]:
    """Per leaf, the indexes of the tokens overlapping it (character offsets); a leaf no token overlaps (offsets
    that disagree around unusual text) takes the last token starting at or before it."""
    to_code_points = code_point_offsets(text)
    starts = np.array([start for start, _ in token_offsets])
    ends = np.array([end for _, end in token_offsets])
    groups = []
    for start16, end16 in spans:
        start, end = to_code_points[start16], to_code_points[end16]
        overlapping = np.flatnonzero((starts < end) & (ends > start))
        if len(overlapping) == 0:
            overlapping = np.array([max(0, int(np.searchsorted(starts, start, side="right")) - 1)])
        groups.append(overlapping)
    return groups


def layer_states(model: CompletionLM, ids: torch.Tensor) -> list[torch.Tensor]:
    """Hidden states of every layer for one sequence: embeddings, each block, the last normalized. Read by hooks
    from the model's own forward pass (no cache), so positions and the causal mask are the model's."""
    states: list[torch.Tensor] = []
    hooks = [model.blocks[0].register_forward_pre_hook(lambda _, inputs: states.append(inputs[0]))]
    hooks += [block.register_forward_hook(lambda _, __, output: states.append(output[0])) for block in model.blocks[:-1]]
    try:
        last, _, _ = model.hidden(ids, *model.empty_cache(1))
    finally:
        for hook in hooks:
            hook.remove()
    return [*states, last]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=Path, required=True, help="probe data written with --with-text")
    parser.add_argument("--run", type=Path, help="the LM's run folder (checkpoint.pt, config.json)")
    parser.add_argument("--random-seed", type=int, help="instead, random weights of the run's architecture, seeded so")
    parser.add_argument("--config", type=Path, help="the architecture for --random-seed (default: --run's config.json)")
    parser.add_argument("--tokenizer", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    from tokenizers import Tokenizer  # training-stage dependency (lm-venv), as in lm_tokenizer.py

    torch.set_num_threads(1)
    config_path = args.config or (args.run / "config.json" if args.run else None)
    assert config_path and (args.run or args.random_seed is not None), "give --run, or --random-seed with --config or --run"
    raw = json.loads(Path(config_path).read_text())
    config = LMConfig(**{field: raw[field] for field in ("vocab_size", "hidden_size", "layers", "heads", "max_positions")})
    torch.manual_seed(args.random_seed or 0)
    model = CompletionLM(config)
    if args.random_seed is None:
        model.load_state_dict(torch.load(args.run / "checkpoint.pt", map_location="cpu")["model"])
    model.eval()
    tokenizer = Tokenizer.from_file(str(args.tokenizer))
    end_of_text = tokenizer.token_to_id("<|endoftext|>")

    meta = json.loads((args.units / "meta.json").read_text())
    model_id = f"random-lm-{config.layers}x{config.hidden_size}-seed{args.random_seed}" if args.random_seed is not None else f"lm:{args.run.name}"
    args.out.mkdir(parents=True, exist_ok=True)
    for split_file in sorted(args.units.glob("*.jsonl")):
        units = [json.loads(line) for line in split_file.read_text().split("\n") if line.strip()]  # not splitlines(): U+2028 in a string
        assert not units or "spans" in units[0], f"{split_file}: no text and spans (write it with probe-data --with-text)"
        files = [(args.out / f"{split_file.stem}.L{layer}.f16").open("wb") for layer in range(config.layers + 1)]
        with (args.out / split_file.name).open("w") as lines:
            for unit in units:
                encoding = tokenizer.encode(unit["text"])
                ids = torch.tensor([[end_of_text, *encoding.ids]])[:, : config.max_positions]
                groups = leaf_tokens(unit["spans"], encoding.offsets, unit["text"])
                with torch.no_grad():
                    states = [state[0, 1:].numpy() for state in layer_states(model, ids)]  # the unit's tokens, not <|endoftext|>
                for layer, state in enumerate(states):
                    files[layer].write(np.stack([state[group].mean(axis=0) for group in groups]).astype("<f2").tobytes())
                lines.write(json.dumps({key: unit[key] for key in ("package", "name", "leaves", "tokens", "d", "c", "u")}) + "\n")
        for file in files:
            file.close()
        print(f"{split_file.stem}: {len(units)} units", flush=True)
    (args.out / "meta.json").write_text(json.dumps({**meta, "modelId": model_id, "modelDir": str(args.run or ""),
                                                    "hiddenSize": config.hidden_size, "layers": config.layers}, indent=2) + "\n")


if __name__ == "__main__":
    main()
