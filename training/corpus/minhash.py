"""MinHash signatures over token 5-gram shingles and banded LSH, in numpy only.

Tokens are hashed to 64-bit values (blake2b, cached per distinct token, so independent of
process and order), k consecutive token hashes are mixed into one shingle hash, and each of
``NUM_PERM`` hash functions h_i(x) = (a_i * x + b_i) >> 32 (64-bit arithmetic, a_i odd) is
minimised over a unit's shingles. Estimated Jaccard = fraction of equal signature positions.
LSH: ``BANDS`` bands of ``ROWS`` rows; units sharing any band key are candidate pairs, which are
then verified with the estimated Jaccard (>= threshold).
"""
from __future__ import annotations

import hashlib
from typing import Dict, List, Sequence, Tuple

import numpy as np

SHINGLE = 5
NUM_PERM = 128
BANDS = 16
ROWS = 8
assert BANDS * ROWS == NUM_PERM
THRESHOLD = 0.8

_M64 = (1 << 64) - 1
_rng = np.random.default_rng(20251125)
_A = (_rng.integers(0, 1 << 63, NUM_PERM, dtype=np.uint64) << np.uint64(1)) | np.uint64(1)
_B = _rng.integers(0, 1 << 63, NUM_PERM, dtype=np.uint64)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_MIX2 = np.uint64(0xBF58476D1CE4E5B9)


class TokenHasher:
    """Stable 64-bit hashes of token strings, cached."""

    def __init__(self) -> None:
        self._cache: Dict[str, int] = {}

    def __call__(self, toks: Sequence[str]) -> np.ndarray:
        cache = self._cache
        out = np.empty(len(toks), dtype=np.uint64)
        for i, t in enumerate(toks):
            h = cache.get(t)
            if h is None:
                h = int.from_bytes(hashlib.blake2b(t.encode('utf-8', 'surrogatepass'), digest_size=8).digest(), 'little')
                if len(cache) < 5_000_000:
                    cache[t] = h
            out[i] = h
        return out


def _fmix(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint64(31))
    h = h * _MIX2
    return h ^ (h >> np.uint64(29))


def ngram_hashes(th: np.ndarray, k: int = SHINGLE) -> np.ndarray:
    """Hashes of every k consecutive token hashes; a stream shorter than k gives one hash of all
    of it; an empty stream gives none."""
    n = len(th)
    if n == 0:
        return np.empty(0, dtype=np.uint64)
    if n < k:
        h = np.zeros(1, dtype=np.uint64)
        for j in range(n):
            h = _fmix(h * _MIX + th[j:j + 1])
        return h
    m = n - k + 1
    h = np.zeros(m, dtype=np.uint64)
    with np.errstate(over='ignore'):
        for j in range(k):
            h = _fmix(h * _MIX + th[j:j + m])
    return h


def signatures(shingles: List[np.ndarray]) -> np.ndarray:
    """(len(shingles), NUM_PERM) uint32 MinHash signatures; an empty shingle set gives all 0xFFFFFFFF."""
    n = len(shingles)
    sig = np.full((n, NUM_PERM), 0xFFFFFFFF, dtype=np.uint32)
    nonempty = [i for i, s in enumerate(shingles) if len(s)]
    if not nonempty:
        return sig
    # Batch units so a batch holds at most ~50k shingles (small temporaries stay in cache).
    start = 0
    while start < len(nonempty):
        total = 0
        end = start
        while end < len(nonempty) and (total == 0 or total + len(shingles[nonempty[end]]) <= 50_000):
            total += len(shingles[nonempty[end]])
            end += 1
        idx = nonempty[start:end]
        flat = np.concatenate([shingles[i] for i in idx])
        lens = np.array([len(shingles[i]) for i in idx])
        offs = np.concatenate(([0], np.cumsum(lens)[:-1]))
        for p in range(0, NUM_PERM, 32):
            with np.errstate(over='ignore'):
                h = np.multiply(flat[:, None], _A[None, p:p + 32])
                h += _B[None, p:p + 32]
            h >>= np.uint64(32)
            sig[idx, p:p + 32] = np.minimum.reduceat(h, offs, axis=0).astype(np.uint32)
        start = end
    return sig


def band_keys(sig: np.ndarray) -> np.ndarray:
    """(n, BANDS) uint64 keys, one per band of ROWS signature values."""
    n = sig.shape[0]
    keys = np.zeros((n, BANDS), dtype=np.uint64)
    s = sig.reshape(n, BANDS, ROWS).astype(np.uint64)
    with np.errstate(over='ignore'):
        for r in range(ROWS):
            keys = _fmix(keys * _MIX + s[:, :, r] + np.uint64(r + 1))
    return keys


def jaccard_estimate(sig_a: np.ndarray, sig_b: np.ndarray) -> np.ndarray:
    """Row-wise fraction of equal signature positions."""
    return (sig_a == sig_b).mean(axis=-1)


def candidate_pairs(keys: np.ndarray) -> np.ndarray:
    """(m, 2) int64 pairs (i < j) of rows sharing a band key: per band and bucket, each member is
    paired with the bucket's first member and with its predecessor (rows in index order)."""
    n = keys.shape[0]
    out = []
    for b in range(keys.shape[1]):
        order = np.argsort(keys[:, b], kind='stable')
        ks = keys[order, b]
        same = ks[1:] == ks[:-1]
        if not same.any():
            continue
        pos = np.arange(n)
        run_start = np.where(np.concatenate(([True], ~same)), pos, 0)
        run_start = np.maximum.accumulate(run_start)
        j = np.nonzero(same)[0] + 1
        out.append(np.stack([order[j - 1], order[j]], axis=1))
        anchor = run_start[j]
        far = anchor != j - 1
        out.append(np.stack([order[anchor[far]], order[j[far]]], axis=1))
    if not out:
        return np.empty((0, 2), dtype=np.int64)
    pairs = np.concatenate(out).astype(np.int64)
    pairs.sort(axis=1)
    return np.unique(pairs, axis=0)


def near_duplicates(sig: np.ndarray, threshold: float = THRESHOLD) -> Tuple[np.ndarray, int]:
    """Boolean mask of rows to drop: rows in a connected component of verified near-duplicate
    pairs (estimated Jaccard >= threshold), except the component's lowest row. Also returns the
    number of verified pairs. Deterministic."""
    n = sig.shape[0]
    drop = np.zeros(n, dtype=bool)
    if n < 2:
        return drop, 0
    pairs = candidate_pairs(band_keys(sig))
    good = []
    for s in range(0, len(pairs), 200_000):
        p = pairs[s:s + 200_000]
        good.append(p[jaccard_estimate(sig[p[:, 0]], sig[p[:, 1]]) >= threshold])
    verified = np.concatenate(good) if good else np.empty((0, 2), dtype=np.int64)
    parent = {}

    def find(x: int) -> int:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    for a, b in verified.tolist():
        ra, rb = find(a), find(b)
        if ra != rb:
            if ra < rb:
                parent[rb] = ra
            else:
                parent[ra] = rb
    for x in parent:
        if find(x) != x:
            drop[x] = True
    return drop, len(verified)


class LshIndex:
    """A small LSH index (for the eval items) queried with corpus signatures."""

    def __init__(self, sig: np.ndarray) -> None:
        self.sig = sig
        keys = band_keys(sig)
        self.tables: List[Dict[int, List[int]]] = []
        for b in range(BANDS):
            table: Dict[int, List[int]] = {}
            for i, k in enumerate(keys[:, b].tolist()):
                table.setdefault(k, []).append(i)
            self.tables.append(table)
        self.key_sets = [np.array(sorted(t), dtype=np.uint64) for t in self.tables]

    def query(self, sig: np.ndarray, threshold: float = THRESHOLD) -> List[Tuple[int, int, float]]:
        """(row in sig, index item, estimated Jaccard) for every verified near-duplicate; for each
        row only its best match is returned."""
        if sig.shape[0] == 0:
            return []
        keys = band_keys(sig)
        cand: Dict[int, set] = {}
        for b in range(BANDS):
            hit = np.nonzero(np.isin(keys[:, b], self.key_sets[b]))[0]
            for r in hit.tolist():
                cand.setdefault(r, set()).update(self.tables[b][int(keys[r, b])])
        out = []
        for r in sorted(cand):
            items = sorted(cand[r])
            j = jaccard_estimate(self.sig[items], sig[r][None, :])
            best = int(np.argmax(j))
            if j[best] >= threshold:
                out.append((r, items[best], float(j[best])))
        return out
