"""Token streams for the completion LM: the corpus's JavaScript/TypeScript units, half of them turned into
fill-in-the-middle examples, encoded with the byte-level BPE tokenizer, back to back as uint16.

    ~/.cache/astrolabe/lm-venv/bin/python training/lm_data.py --corpus DATA/corpus --tokenizer models/completion/tokenizer.json --out DATA/lm-data

FIM (Bavarian et al. 2022; as in SantaCoder/CodeGen2), prefix-suffix-middle order:
    <fim_prefix> prefix <fim_suffix> suffix <fim_middle> middle <|endoftext|>
split at two random positions between words (--fim-split), each part encoded on its own (so no token spans a boundary,
as at inference where the cursor splits the file). Plain units are `text <|endoftext|>`.
Validation: valid.jsonl's units plus the training packages whose name hashes to bucket 0 of --valid-buckets
(valid.jsonl holds few JS/TS packages); those packages are left out of train.
"""
from __future__ import annotations

import argparse
import json
import random
import zlib
from pathlib import Path

import numpy as np

from lm_tokenizer import units


def cursor_positions(text: str) -> list[int]:
    """Offsets a cursor plausibly sits at: not inside a word (identifier, number or keyword), and not inside
    a run of white space (indentation would otherwise hold most cuts, and the model learned that a middle
    starts with spaces: after `obj.` it wrote blanks instead of a member)."""
    return [i for i in range(len(text) + 1)
            if i == 0 or i == len(text) or not ((_word(text[i - 1]) and _word(text[i])) or (text[i - 1].isspace() and text[i].isspace()))]


def _word(char: str) -> bool:
    return char.isalnum() or char in "_$"


def fim_pieces(text: str, rng: random.Random, fim_rate: float, split: str = "boundary") -> list[tuple[str | None, str]]:
    """The unit as (special token or None, text) pieces in training order. split="boundary" cuts only
    between words, as an editor's cursor mostly is (character-level cuts, SantaCoder's, taught the first
    model that a middle starts mid-word: it began every completion after `.` with "e"); "character" cuts anywhere."""
    if rng.random() >= fim_rate or len(text) < 3:
        return [(None, text), ("<|endoftext|>", "")]
    positions = cursor_positions(text) if split == "boundary" else range(len(text) + 1)
    if len(positions) < 2:
        return [(None, text), ("<|endoftext|>", "")]
    a, b = sorted(rng.sample(positions, 2))
    prefix, middle, suffix = text[:a], text[a:b], text[b:]
    return [("<fim_prefix>", prefix), ("<fim_suffix>", suffix), ("<fim_middle>", middle), ("<|endoftext|>", "")]


def encode_units(tokenizer, texts: list[str], rng: random.Random, fim_rate: float, split: str) -> np.ndarray:
    plan = [fim_pieces(text, rng, fim_rate, split) for text in texts]
    strings = [piece for pieces in plan for _, piece in pieces]
    encoded = tokenizer.encode_batch(strings, add_special_tokens=False)
    ids: list[int] = []
    cursor = 0
    for pieces in plan:
        for special, _ in pieces:
            if special is not None:
                ids.append(tokenizer.token_to_id(special))
            ids.extend(encoded[cursor].ids)
            cursor += 1
    return np.asarray(ids, dtype=np.uint16)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--tokenizer", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--fim-rate", type=float, default=0.5)
    parser.add_argument("--fim-split", choices=["boundary", "character"], default="boundary",
                        help="where FIM cuts a unit: between words only (default), or at any character (the first model's data)")
    parser.add_argument("--valid-buckets", type=int, default=25)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    from tokenizers import Tokenizer  # training-stage dependency (lm-venv)

    tokenizer = Tokenizer.from_file(str(args.tokenizer))
    assert tokenizer.get_vocab_size() <= 65536
    rng = random.Random(args.seed)
    train: list[str] = []
    valid: list[str] = []
    valid_packages: set[str] = set()
    for unit in units(args.corpus / "train.jsonl"):
        held_out = zlib.crc32(unit["package"].encode()) % args.valid_buckets == 0
        (valid if held_out else train).append(unit["text"])
        if held_out:
            valid_packages.add(unit["package"])
    for unit in units(args.corpus / "valid.jsonl"):
        valid.append(unit["text"])
        valid_packages.add(unit["package"])
    rng.shuffle(train)
    args.out.mkdir(parents=True, exist_ok=True)
    summary = {"fim_rate": args.fim_rate, "fim_split": args.fim_split, "valid_packages": sorted(valid_packages)}
    for name, texts in (("train", train), ("valid", valid)):
        ids = np.concatenate([encode_units(tokenizer, texts[start:start + 2000], rng, args.fim_rate, args.fim_split)
                              for start in range(0, len(texts), 2000)])
        ids.tofile(args.out / f"{name}.bin")
        summary[name] = {"units": len(texts), "tokens": int(ids.size), "bytes": sum(len(t.encode()) for t in texts)}
    (args.out / "data.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps({k: v for k, v in summary.items() if k != "valid_packages"}))


if __name__ == "__main__":
    main()
