"""The issue-8 report reads what the pipeline wrote and keeps one section of the card, however often it runs."""
import json
import sys
import tempfile
import unittest
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import execution_comparison  # noqa: E402


def layer(index: int, line: float, path: float) -> dict:
    return {"layer": index, "lines": 40, "executions": 9, "line_accuracy": line, "full_path_accuracy": path, "executed_share": 0.6}


class ExecutionComparisonTest(unittest.TestCase):
    def setUp(self):
        self.root = Path(tempfile.mkdtemp())
        write = lambda path, data: (path.parent.mkdir(parents=True, exist_ok=True), path.write_text(json.dumps(data)))  # noqa: E731
        write(self.root / "report.json", {
            "executions": {"python": 30, "javascript": 12}, "functions_traced": {"python": 7, "javascript": 3},
            "by_language_and_status": {"python": {"ok": 28, "exception": 2, "timeout": 4, "blocked": 1}, "javascript": {"ok": 12, "crash": 2}}})
        for split, count in (("train", 33), ("valid", 9)):
            write(self.root / "shards" / f"{split}.ids.json", {"sequences": count, "tokens": count * 100})
        write(self.root / "probe.json", {
            "static": {"layers": [layer(0, 0.60, 0.10), layer(1, 0.65, 0.20)], "majority": layer(0, 0.6, 0.0)},
            "traced": {"layers": [layer(0, 0.62, 0.10), layer(1, 0.70, 0.30)], "majority": layer(0, 0.6, 0.0)}})
        for name, steps in (("static", 0), ("traced", 5)):
            write(self.root / "runs" / name / "summary.json", {"step": 10, "tokens": 5000, "minutes": 3.14159, "valid_loss": 4.5, "trace_steps": steps})
            write(self.root / "results" / name / "encoder-quality.json", {"rows": [
                {"case": f"{name}: CoSQA dev-500, vector only, 64 dims", "metrics": {"MRR": 0.01}},
                {"case": f"{name}: CoSQA dev-500, vector only, 256 dims", "metrics": {"MRR": 0.05 if name == "static" else 0.07}, "bar": {"metric": "MRR"}},
                {"case": f"{name}: POJ-104 dev, vector only, 256 dims", "metrics": {"MAP@R": 0.2}, "bar": {"metric": "MAP@R"}}]})
        (self.root / "model").mkdir()
        (self.root / "model" / "MODEL_CARD.md").write_text("# a model\n\nits card\n")

    def run_report(self, notes: str) -> None:
        r = self.root
        argv = ["execution_comparison.py", "--model", str(r / "model"), "--collection", str(r / "report.json"),
                "--trace-shards", str(r / "shards"), "--probe", str(r / "probe.json"),
                "--runs", f"static={r}/runs/static", f"traced={r}/runs/traced",
                "--results", f"static={r}/results/static", f"traced={r}/results/traced",
                "--finetuned-results", f"static={r}/results/traced", f"traced={r}/results/static", "--finetuning", "9 steps", "--notes", notes]
        with mock.patch.object(sys, "argv", argv):
            execution_comparison.main()

    def test_report_and_card_section(self):
        self.run_report("NOTE-ONE")
        report = json.loads((self.root / "model" / "execution-comparison.json").read_text())
        self.assertEqual(report["runs"]["traced"]["probe_best_layer"], 1)
        self.assertEqual(report["runs"]["traced"]["cosqa_mrr"], 0.07)  # the full-width row, not the 64-dim one
        self.assertEqual(report["runs"]["static"]["poj104_map_at_r"], 0.2)
        self.assertEqual(report["runs"]["static"]["finetuned_cosqa_mrr"], 0.07)  # the folders crossed on purpose: read from --finetuned-results
        card = (self.root / "model" / "MODEL_CARD.md").read_text()
        self.assertTrue(card.startswith("# a model\n\nits card\n"))
        self.assertIn("42 finished executions (python 30, javascript 12) of 10 functions", card)
        self.assertIn("contained and dropped: timeout 4, crash 2, blocked 1.", card)
        self.assertIn("| CoSQA dev MRR after the same contrastive stage (9 steps) | 0.0700 | 0.0500 |", card)
        self.assertIn("| held-out line coverage, linear probe, layer 1 (line / full path) | 0.6500 / 0.2000 | 0.7000 / 0.3000 |", card)
        self.run_report("NOTE-TWO")
        card = (self.root / "model" / "MODEL_CARD.md").read_text()
        self.assertEqual(card.count("<!-- execution-comparison:start -->"), 1)
        self.assertIn("NOTE-TWO", card)
        self.assertNotIn("NOTE-ONE", card)


if __name__ == "__main__":
    unittest.main()
