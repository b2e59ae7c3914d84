"""Train the completion model's tokenizer: byte-level BPE on the corpus's JavaScript/TypeScript units.

    ~/.cache/astrolabe/lm-venv/bin/python training/lm_tokenizer.py --units DATA/corpus/train.jsonl --out models/completion/tokenizer.json

Byte-level (GPT-2's byte alphabet, no normalizer, no prefix space): every string, any Unicode included,
round-trips exactly through encode and decode, which completion needs (it edits the user's text).
Needs the `tokenizers` wheel (training stage only: Node reads the same tokenizer.json).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Iterator


# Order fixes the ids 0..4; src/core/monitor/completionTokenizer.ts looks them up by name.
SPECIAL_TOKENS = ["<|endoftext|>", "<fim_prefix>", "<fim_middle>", "<fim_suffix>", "<fim_pad>"]
LANGUAGES = {"javascript", "typescript", "tsx"}


def units(path: Path, languages: set[str] = LANGUAGES) -> Iterator[dict]:
    with path.open() as lines:
        for line in lines:
            # The language field comes early in each line: skip the JSON parse of other languages.
            if not any(f'"language": "{language}"' in line[:300] for language in languages):
                continue
            unit = json.loads(line)
            if unit["language"] in languages and unit["text"].strip():
                yield unit


def train_tokenizer(texts, vocab_size: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers  # training-stage dependency (lm-venv)

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tokenizer.train_from_iterator(texts, trainer=trainer)
    return tokenizer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=Path, required=True, help="corpus train.jsonl")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--vocab-size", type=int, default=8192)
    args = parser.parse_args()
    tokenizer = train_tokenizer((unit["text"] for unit in units(args.units)), args.vocab_size)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(args.out))
    sample = "const x = obj.method(\"é\", `${a}`);\n\tif (y) {\n  return z?.w ?? 0;\n}\n"
    assert tokenizer.decode(tokenizer.encode(sample).ids) == sample, "byte-level round trip failed"
    print(json.dumps({"vocab_size": tokenizer.get_vocab_size(), "out": str(args.out)}))


if __name__ == "__main__":
    main()
