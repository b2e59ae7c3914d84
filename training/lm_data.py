"""Token streams for the completion LM: the corpus's JavaScript/TypeScript units, most of them turned into
fill-in-the-middle examples shaped like the prompts the extension sends, encoded with the byte-level BPE
tokenizer, back to back as uint16, with the offsets where training windows may start.

    ~/.cache/astrolabe/lm-venv/bin/python training/lm_data.py --corpus DATA/corpus --tokenizer models/completion/tokenizer.json --out DATA/lm-data

FIM (Bavarian et al. 2022; as in SantaCoder/CodeGen2), in suffix-prefix-middle order (SPM, the paper's variant in
which the middle continues the prefix directly, as in plain left-to-right text):
    <fim_suffix> suffix <fim_prefix> prefix middle <|endoftext|>
(--fim-order psm: `<fim_prefix> prefix <fim_suffix> suffix <fim_middle> middle <|endoftext|>`, the first models'
order: the 5.5M-parameter model never learned to carry the prefix's end across the suffix to `<fim_middle>`; it
answered `obj.` with `.`, `) {` or a blank line, where left to right it proposed members.) Each example is cut to the budget of an inference prompt (src/core/monitor/fimPrompt.ts): the prefix keeps
its end, the suffix its start (at most a quarter of the prompt), so prefix, suffix and the middle's start fit in
one training window, and the window starts at the example (`starts`). The first models were trained on whole
units cut at random and windows at random offsets: a window rarely held the prefix's end together with
`<fim_middle>`, and the model answered `obj.` with `.` or `) {`, the typical start of a middle after a suffix.
Middles start where a cursor sits (between words, outside white-space runs; a share right after a member
access dot) and run to the end of that line (inline completion) or a short way further. Plain units are
`text <|endoftext|>`, with window starts every `--stride` tokens. Each part is encoded on its own, so no token
spans a boundary, as at inference where the cursor splits the file.
Validation: valid.jsonl's units plus the training packages whose name hashes to bucket 0 of --valid-buckets
(valid.jsonl holds few JS/TS packages); those packages are left out of train.
"""
from __future__ import annotations

import argparse
import bisect
import json
import random
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lm_tokenizer import LANGUAGES, units


@dataclass(frozen=True)
class PromptShape:
    """The inference prompt's budget (completionEngine.ts, fimPrompt.ts): examples are cut to it."""
    context_tokens: int = 256  # the model's trained window (config contextTokens)
    middle_tokens: int = 32  # DEFAULT_MAX_TOKENS: kept free for the completion
    suffix_share: float = 0.25  # DEFAULT_SUFFIX_SHARE
    line_share: float = 0.5  # middles that run to the end of the cursor's line
    dereference_share: float = 0.25  # cursors right after `expr.`, where the monitor works

    @property
    def prompt_tokens(self) -> int:
        return max(8, self.context_tokens - self.middle_tokens - 3)

    @property
    def suffix_tokens(self) -> int:
        return int(self.prompt_tokens * self.suffix_share)


def cursor_positions(text: str) -> list[int]:
    """Offsets a cursor plausibly sits at: not inside a word (identifier, number or keyword), and not inside
    a run of white space (indentation would otherwise hold most cuts, and the model learned that a middle
    starts with spaces: after `obj.` it wrote blanks instead of a member)."""
    return [i for i in range(len(text) + 1)
            if i == 0 or i == len(text) or not ((_word(text[i - 1]) and _word(text[i])) or (text[i - 1].isspace() and text[i].isspace()))]


def _word(char: str) -> bool:
    return char.isalnum() or char in "_$"


def dereference_positions(text: str) -> list[int]:
    """Offsets just after a member-access dot (`name.`, `call().`, `list[0].`), followed by a member."""
    return [i for i in range(2, len(text))
            if text[i - 1] == "." and _word(text[i]) and not text[i].isdigit()
            and (text[i - 2] in ")]" or (_word(text[i - 2]) and not _number_before(text, i - 1)))]


def _number_before(text: str, end: int) -> bool:
    """Whether the word ending at `end` is a number (`1.5` is no member access)."""
    start = end
    while start > 0 and _word(text[start - 1]):
        start -= 1
    return text[start].isdigit()


def fim_cut(text: str, rng: random.Random, shape: PromptShape) -> tuple[str, str, str] | None:
    """(prefix, middle, suffix) with prefix + middle + suffix == text, or None where the unit has no cursor."""
    boundaries = cursor_positions(text)
    positions = boundaries[:-1]  # a cursor at the very end leaves nothing to write
    if not positions:
        return None
    dereferences = dereference_positions(text) if rng.random() < shape.dereference_share else []
    start = rng.choice(dereferences or positions)
    line_end = text.find("\n", start)
    line_end = len(text) if line_end < 0 else line_end
    if rng.random() < shape.line_share and line_end > start:
        end = line_end
    else:  # a boundary up to ~3 lines on, or the end of the unit
        first = bisect.bisect_right(boundaries, start)
        last = bisect.bisect_right(boundaries, start + 200)
        end = rng.choice(boundaries[first:last]) if last > first else len(text)
    return text[:start], text[start:end], text[end:]


def line_start_window(prefix: str, chars: int) -> str:
    """The prefix's last `chars` characters, from a line start where there is one (as fimPrompt.ts cuts)."""
    if len(prefix) <= chars:
        return prefix
    window = prefix[len(prefix) - chars:]
    cut = window.find("\n")
    return window[cut + 1:] if 0 <= cut < len(window) - 1 else window


def encode_units(tokenizer, texts: list[str], rng: random.Random, fim_rate: float, shape: PromptShape, stride: int,
                 order: str = "spm") -> tuple[np.ndarray, list[int]]:
    """The units as one token stream, and the offsets where a training window may start."""
    cuts = [fim_cut(text, rng, shape) if rng.random() < fim_rate else None for text in texts]
    strings: list[str] = []
    for text, cut in zip(texts, cuts):
        if cut is None:
            strings.append(text)
        else:
            prefix, middle, suffix = cut
            # Characters trimmed before encoding (about 6 a token at most), tokens trimmed after, as at inference.
            strings += [line_start_window(prefix, shape.prompt_tokens * 6), suffix[: shape.suffix_tokens * 6], middle]
    encoded = iter(tokenizer.encode_batch(strings, add_special_tokens=False))
    special = {name: tokenizer.token_to_id(name) for name in ("<fim_prefix>", "<fim_suffix>", "<fim_middle>", "<|endoftext|>")}
    ids: list[int] = []
    starts: list[int] = []
    for cut in cuts:
        if cut is None:
            body = next(encoded).ids
            starts += range(len(ids), len(ids) + max(1, len(body)), stride)
            ids += body + [special["<|endoftext|>"]]
            continue
        prefix, suffix, middle = next(encoded).ids, next(encoded).ids, next(encoded).ids
        suffix = suffix[: shape.suffix_tokens]
        prefix = prefix[max(0, len(prefix) - (shape.prompt_tokens - len(suffix))):]
        starts.append(len(ids))
        if order == "spm":
            ids += [special["<fim_suffix>"], *suffix, special["<fim_prefix>"], *prefix, *middle, special["<|endoftext|>"]]
        else:
            ids += [special["<fim_prefix>"], *prefix, special["<fim_suffix>"], *suffix, special["<fim_middle>"], *middle, special["<|endoftext|>"]]
    return np.asarray(ids, dtype=np.uint16), starts


def cap_per_language(languages: list[str], cap: int, rng: random.Random) -> set[int]:
    """Indexes to keep: every unit of a language with at most `cap` units, `cap` drawn at random of the others."""
    by_language: dict[str, list[int]] = {}
    for index, language in enumerate(languages):
        by_language.setdefault(language, []).append(index)
    return {index for indexes in by_language.values() for index in (rng.sample(indexes, cap) if len(indexes) > cap else indexes)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--tokenizer", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--fim-rate", type=float, default=0.7, help="share of the units made FIM examples (the editor only sends FIM prompts)")
    parser.add_argument("--fim-order", choices=["spm", "psm"], default="spm", help="suffix-prefix-middle (default) or prefix-suffix-middle")
    parser.add_argument("--context", type=int, default=256, help="training window in tokens (lm_train.py --seq)")
    parser.add_argument("--stride", type=int, default=192, help="window starts in a plain unit, every this many tokens")
    parser.add_argument("--languages", default=",".join(sorted(LANGUAGES)), help="corpus languages to train on, comma-separated")
    parser.add_argument("--max-units-per-language", type=int, default=0, help="at most this many training units of each language, drawn at random (0: all)")
    parser.add_argument("--valid-buckets", type=int, default=25)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    from tokenizers import Tokenizer  # training-stage dependency (lm-venv)

    tokenizer = Tokenizer.from_file(str(args.tokenizer))
    assert tokenizer.get_vocab_size() <= 65536
    shape = PromptShape(context_tokens=args.context)
    rng = random.Random(args.seed)
    train: list[str] = []
    valid: list[str] = []
    valid_packages: set[str] = set()
    languages = set(args.languages.split(","))
    train_languages: list[str] = []
    for unit in units(args.corpus / "train.jsonl", languages):
        held_out = zlib.crc32(unit["package"].encode()) % args.valid_buckets == 0
        if held_out:
            valid.append(unit["text"])
            valid_packages.add(unit["package"])
        else:
            train.append(unit["text"])
            train_languages.append(unit["language"])
    if args.max_units_per_language:
        # Its own generator, so that without a cap the data (and its shuffle) stays what it was.
        keep = cap_per_language(train_languages, args.max_units_per_language, random.Random(args.seed + 1))
        train = [text for index, text in enumerate(train) if index in keep]
        train_languages = [language for index, language in enumerate(train_languages) if index in keep]
    for unit in units(args.corpus / "valid.jsonl", languages):
        valid.append(unit["text"])
        valid_packages.add(unit["package"])
    rng.shuffle(train)
    args.out.mkdir(parents=True, exist_ok=True)
    summary = {"languages": sorted(languages), "train_units_by_language": dict(sorted(Counter(train_languages).items())),
               "fim_rate": args.fim_rate, "fim_order": args.fim_order, "prompt_shape": shape.__dict__ | {"prompt_tokens": shape.prompt_tokens, "suffix_tokens": shape.suffix_tokens},
               "stride": args.stride, "valid_packages": sorted(valid_packages)}
    if args.max_units_per_language:
        summary["max_units_per_language"] = args.max_units_per_language
    for name, texts in (("train", train), ("valid", valid)):
        streams, starts, offset = [], [], 0
        for chunk in range(0, len(texts), 2000):
            ids, chunk_starts = encode_units(tokenizer, texts[chunk:chunk + 2000], rng, args.fim_rate, shape, args.stride, args.fim_order)
            streams.append(ids)
            starts += [offset + start for start in chunk_starts]
            offset += ids.size
        np.concatenate(streams).tofile(args.out / f"{name}.bin")
        np.asarray(starts, dtype="<u4").tofile(args.out / f"{name}.starts.bin")
        summary[name] = {"units": len(texts), "tokens": offset, "window_starts": len(starts), "bytes": sum(len(t.encode()) for t in texts)}
    (args.out / "data.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps({k: v for k, v in summary.items() if k != "valid_packages"}))


if __name__ == "__main__":
    main()
