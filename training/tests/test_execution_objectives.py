"""Execution objectives (issue 8): trace shards written by the TypeScript side read back aligned, the
heads learn a separable toy signal, and the accuracy measures count lines and whole paths."""
import json
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from execution_objectives import EXECUTED, NOT_EXECUTED, ExecutionHeads, TraceShards, coverage_accuracy  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
TOKENIZER_CLI = REPO / "dist" / "tokenizer.js"
SOURCE = "def f(values):\n    total = 0\n    for v in values:\n        total += v\n    return total"


class CoverageAccuracyTest(unittest.TestCase):
    def test_counts_lines_and_whole_paths(self):
        truth = np.array([EXECUTED, EXECUTED, NOT_EXECUTED, EXECUTED, NOT_EXECUTED])
        predicted = np.array([EXECUTED, EXECUTED, EXECUTED, EXECUTED, NOT_EXECUTED])
        execution = np.array([0, 0, 0, 1, 1])
        scores = coverage_accuracy(predicted, truth, execution)
        self.assertAlmostEqual(scores["line_accuracy"], 0.8)
        self.assertAlmostEqual(scores["full_path_accuracy"], 0.5)  # execution 0 has one wrong line
        self.assertEqual(scores["executions"], 2)
        self.assertAlmostEqual(scores["executed_share"], 0.6)


class ExecutionHeadsTest(unittest.TestCase):
    def test_losses_skip_unlabelled_positions_and_learn(self):
        torch.manual_seed(0)
        heads = ExecutionHeads(hidden_size=8, categories=3)
        hidden = torch.randn(4, 6, 8)
        coverage = torch.zeros(4, 6, dtype=torch.long)
        values = torch.zeros(4, 6, dtype=torch.long)
        coverage[:, 1] = torch.where(hidden[:, 1, 0] > 0, EXECUTED, NOT_EXECUTED)
        values[:, 2] = 1 + (hidden[:, 2, 1] > 0).long()
        optimizer = torch.optim.Adam(heads.parameters(), lr=0.1)
        first = None
        for _ in range(100):
            losses = heads.losses(hidden, coverage, values)
            total = losses["coverage"] + losses["values"]
            first = first if first is not None else float(total)
            optimizer.zero_grad()
            total.backward()
            optimizer.step()
        self.assertLess(float(total), first / 5)
        nothing = heads.losses(hidden, torch.zeros_like(coverage), torch.zeros_like(values))
        self.assertEqual(float(nothing["coverage"]), 0.0)


@unittest.skipUnless(TOKENIZER_CLI.exists(), "build the TypeScript first (npm run build)")
class TraceShardsTest(unittest.TestCase):
    def test_reads_the_shards_tokenizer_js_traces_wrote(self):
        with tempfile.TemporaryDirectory() as folder:
            folder = Path(folder)
            categories = ["none", "zero", "positive"]
            (folder / "categories.json").write_text(json.dumps({"types": ["int"], "categories": categories}))
            records = [
                {"language": "python", "package": "p", "split": split, "source": SOURCE, "input": f"f({arguments})", "status": "ok",
                 "executed": executed, "values": [{"line": 1, "name": "total", "category": "zero"}]}
                for split, arguments, executed in [("train", "[1]", [1, 2, 3, 4]), ("train", "[]", [1, 2, 4]), ("valid", "[2]", [1, 2, 3, 4])]
            ]
            (folder / "traces.jsonl").write_text("".join(json.dumps(record) + "\n" for record in records))
            subprocess.run(["node", str(TOKENIZER_CLI), "traces", "--traces", str(folder / "traces.jsonl"), "--tokenizer", str(REPO / "models/encoder/tokenizer.json"),
                            "--categories", str(folder / "categories.json"), "--out", str(folder / "shards")], check=True, capture_output=True)
            train = TraceShards(folder / "shards", "train")
            self.assertEqual(len(train), 2)
            self.assertEqual(train.categories, categories)
            ids, mask, coverage, values = train.batch([0, 1], pad_id=0)
            self.assertEqual(ids.shape, coverage.shape)
            # Four body lines each; the loop body ran in the first execution only.
            self.assertEqual((coverage[0] > 0).sum().item(), 4)
            self.assertEqual(sorted(coverage[0][coverage[0] > 0].tolist()), [EXECUTED] * 4)
            self.assertEqual(sorted(coverage[1][coverage[1] > 0].tolist()), [NOT_EXECUTED] + [EXECUTED] * 3)
            self.assertEqual(values[0][values[0] > 0].tolist(), [1 + categories.index("zero")])
            self.assertTrue(bool((mask[1, : int(mask[1].sum())] == 1).all()))
            self.assertEqual(len(TraceShards(folder / "shards", "valid")), 1)


if __name__ == "__main__":
    unittest.main()
