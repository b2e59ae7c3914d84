"""AST-Probe's constituents from a (d, c, u) encoding, the Python twin of src/core/probe/treeEncoding.ts
and constituents.ts (which are the reference; training/tests/test_probe_spans.py checks both against the
paper authors' golden vectors).

The largest d in a span splits it (the first on ties); the split's label c names the node over the span
(`<empty>` nodes, added by binarization, name none; `a<sep>b` names two), and u names the unary chain
above a leaf. Constituents are `label-first-last` strings (leaf indices, inclusive), scored as sets.
"""
from __future__ import annotations

EMPTY = "<empty>"
SEPARATOR = "<sep>"


def spans_from_encoding(d, c, u) -> set[str]:
    spans: set[str] = set()
    for index, label in enumerate(u):
        if label != EMPTY:
            spans.update(f"{part}-{index}-{index}" for part in label.split(SEPARATOR))
    stack = [(0, len(u) - 1)]
    while stack:
        first, last = stack.pop()
        if first >= last:
            continue
        split = first
        for i in range(first + 1, last):
            if d[i] > d[split]:
                split = i
        if c[split] != EMPTY:
            spans.update(f"{part}-{first}-{last}" for part in c[split].split(SEPARATOR))
        stack.append((first, split))
        stack.append((split + 1, last))
    return spans


def score(predicted: set[str], truth: set[str]) -> tuple[float, float, float]:
    """Precision, recall and F1 of the predicted constituents."""
    common = len(predicted & truth)
    precision = common / len(predicted) if predicted else 0.0
    recall = common / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return precision, recall, f1
