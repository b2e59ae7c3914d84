import json
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from probe_spans import score, spans_from_encoding  # noqa: E402

GOLDEN = Path(__file__).resolve().parents[3] / "shared" / "eval" / "ast-probe" / "golden_python.jsonl"


def compact(span: str) -> str:
    parts = span.split("-")
    first = len(parts)
    while first > 0 and parts[first - 1].isdigit():
        first -= 1
    return f"{'-'.join(parts[:first])}-{parts[first]}-{parts[-1]}"


class ProbeSpansTest(unittest.TestCase):
    def test_small_tree(self):
        # (a x (b y z)): a's first split, then b over the last two leaves, an <empty> node between.
        d, c, u = [2, 1], ["a", "b"], ["<empty>", "<empty>", "leaf<sep>word"]
        self.assertEqual(spans_from_encoding(d, c, u), {"a-0-2", "b-1-2", "leaf-2-2", "word-2-2"})
        self.assertEqual(spans_from_encoding([1, 2], ["<empty>", "a"], ["<empty>"] * 3), {"a-0-2"})

    def test_score(self):
        self.assertEqual(score({"a-0-1", "b-0-0"}, {"a-0-1"}), (0.5, 1.0, 2 / 3))
        self.assertEqual(score(set(), {"a-0-1"}), (0.0, 0.0, 0.0))

    @unittest.skipUnless(GOLDEN.exists(), "the shared evaluation data is not beside the checkout")
    def test_golden_constituents(self):
        for line in GOLDEN.read_text().splitlines():
            record = json.loads(line)
            with self.subTest(record["id"]):
                self.assertEqual(spans_from_encoding(record["d"], record["c"], record["u"]), {compact(span) for span in record["gold_spans"]})


if __name__ == "__main__":
    unittest.main()
