"""Read the token-id shards that the TypeScript tokenizer writes (src/core/tokenize/shardWriter.ts).

A shard is three files: `<prefix>.bin` (uint16 little-endian token ids, sequences back to back),
`<prefix>.idx` (one 24-byte record per sequence) and `<prefix>.json` (counts and metadata). Memory-mapped:
opening a shard of any size costs nothing until sequences are read.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

RECORD = np.dtype([("offset", "<u8"), ("length", "<u4"), ("unit", "<u4"), ("package", "<u4"), ("language", "<u2"), ("kind", "<u2")])

# Fixed by the tokenizer's format (src/core/tokenize/vocabulary.ts): the same in every vocabulary.
PAD, UNK, CLS, SEP, MASK = 0, 1, 2, 3, 4
SPECIAL_COUNT = 32


class TokenShard:
    def __init__(self, prefix: Path | str):
        prefix = str(prefix)
        self.metadata = json.loads(Path(prefix + ".json").read_text())
        if self.metadata.get("format") != "astrolabe-shard" or self.metadata.get("version") != 1:
            raise ValueError(f"{prefix}.json: not an astrolabe-shard version 1")
        if self.metadata.get("recordBytes") != RECORD.itemsize:
            raise ValueError(f"{prefix}.json: records of {self.metadata.get('recordBytes')} bytes, this reader expects {RECORD.itemsize}")
        self.records = np.memmap(prefix + ".idx", dtype=RECORD, mode="r") if self.metadata["sequences"] else np.zeros(0, RECORD)
        self.tokens = np.memmap(prefix + ".bin", dtype="<u2", mode="r") if self.metadata["tokens"] else np.zeros(0, "<u2")
        if len(self.records) != self.metadata["sequences"] or len(self.tokens) != self.metadata["tokens"]:
            raise ValueError(f"{prefix}: files do not match the counts in {prefix}.json (an interrupted write?)")

    def __len__(self) -> int:
        return len(self.records)

    @property
    def vocab_size(self) -> int:
        return int(self.metadata["tokenizer"]["vocabSize"])

    def sequence(self, index: int) -> np.ndarray:
        record = self.records[index]
        start = int(record["offset"])
        return np.asarray(self.tokens[start : start + int(record["length"])], dtype=np.int64)


def pad_sequences(rows, pad_id: int = PAD) -> tuple[np.ndarray, np.ndarray]:
    """Token-id rows as one batch: (ids, attention mask), int64, padded on the right to the longest row."""
    length = max(len(row) for row in rows)
    ids = np.full((len(rows), length), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), length), dtype=np.int64)
    for index, row in enumerate(rows):
        ids[index, : len(row)] = row
        mask[index, : len(row)] = 1
    return ids, mask


def special_ids(prefix: Path | str) -> dict:
    """The special token ids, and the first id that masking may pick or replace with."""
    return {"pad": PAD, "unk": UNK, "cls": CLS, "sep": SEP, "mask": MASK, "first_regular": SPECIAL_COUNT}


class JoinedShards:
    """Several shards of one tokenizer read as one, in order: package ids made distinct across them, and each
    record's kind renumbered into the union of their kind names (mined pairs and documentation examples,
    written by separate runs, train together without tokenizing either again)."""

    def __init__(self, shards: list[TokenShard]):
        first = shards[0].metadata
        self.shards = shards
        self.starts = np.cumsum([0] + [len(shard) for shard in shards])
        kinds: list[str] = []
        packages: list[str] = []
        parts = []
        for shard in shards:
            meta = shard.metadata
            if meta["tokenizer"]["sha256"] != first["tokenizer"]["sha256"] or meta.get("languages") != first.get("languages"):
                raise ValueError("shards written with different tokenizers or language tables cannot be joined")
            records = np.array(shard.records)
            names = meta.get("kinds", [])
            kinds += [name for name in names if name not in kinds]
            if names:
                records["kind"] = np.array([kinds.index(name) for name in names], dtype="<u2")[records["kind"]]
            records["package"] += len(packages)
            packages += meta.get("packages", [])
            parts.append(records)
        self.records = np.concatenate(parts)
        self.metadata = {**first, "sequences": int(self.starts[-1]), "tokens": sum(s.metadata["tokens"] for s in shards),
                         "kinds": kinds, "packages": packages}

    def __len__(self) -> int:
        return int(self.starts[-1])

    @property
    def vocab_size(self) -> int:
        return self.shards[0].vocab_size

    def sequence(self, index: int) -> np.ndarray:
        part = int(np.searchsorted(self.starts, index, side="right")) - 1
        return self.shards[part].sequence(index - int(self.starts[part]))


def open_shards(prefixes: list[Path]) -> TokenShard | JoinedShards:
    """One shard as it is; several joined."""
    shards = [TokenShard(prefix) for prefix in prefixes]
    return shards[0] if len(shards) == 1 else JoinedShards(shards)
