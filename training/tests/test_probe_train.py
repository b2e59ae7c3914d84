"""probe_train.py end to end on synthetic word vectors that hold the tree linearly: the probe must find it.

Word i is sum_{k<i} sqrt(d_k) e_k (+ one-hot codes of c and u on other axes), so neighbouring words are
exactly sqrt(d_i) apart along a fresh axis: an encoder with the syntax this explicitly in a subspace.
"""
import json
import random
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np
import torch

TRAINING = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TRAINING))
from probe_train import Labels, Split, batches, evaluate, train_probe  # noqa: E402

HIDDEN, WORDS = 64, 12
C_LABELS, U_LABELS = ["<empty>", "call", "block"], ["<empty>", "name"]


def random_tree(n: int, rng: random.Random) -> tuple[list[int], list[str], int]:
    if n == 1:
        return [], [], 0
    split = rng.randint(1, n - 1)
    left_d, left_c, left_h = random_tree(split, rng)
    right_d, right_c, right_h = random_tree(n - split, rng)
    height = max(left_h, right_h) + 1
    return left_d + [height] + right_d, left_c + [rng.choice(C_LABELS)] + right_c, height


def write_split(folder: Path, name: str, units: int, rng: random.Random) -> None:
    lines, rows = [], []
    for _ in range(units):
        n = rng.randint(4, WORDS)
        d, c, _ = random_tree(n, rng)
        u = [rng.choice(U_LABELS) for _ in range(n)]
        words = np.zeros((n, HIDDEN), dtype=np.float32)
        for i in range(1, n):
            words[i] = words[i - 1]
            words[i, i - 1] += 3 * np.sqrt(d[i - 1])
            words[i, 20 + C_LABELS.index(c[i - 1])] += 1  # the difference of neighbours carries c
        for i in range(n):
            words[i, 30 + U_LABELS.index(u[i])] += 5  # each word carries its u
        lines.append(json.dumps({"leaves": n, "d": d, "c": c, "u": u}))
        rows.append(words)
    (folder / f"{name}.jsonl").write_text("\n".join(lines) + "\n")
    np.concatenate(rows).astype("<f2").tofile(folder / f"{name}.L0.f16")


class ProbeTrainTest(unittest.TestCase):
    def test_recovers_a_linearly_encoded_tree(self):
        torch.set_num_threads(1)
        rng = random.Random(3)
        with tempfile.TemporaryDirectory() as scratch:
            folder = Path(scratch)
            write_split(folder, "train-x", 256, rng)
            write_split(folder, "test-x", 64, rng)
            train_split, test_split = Split(folder, "train-x", HIDDEN), Split(folder, "test-x", HIDDEN)
            c_labels, u_labels = Labels.of(train_split.units, "c"), Labels.of(train_split.units, "u")
            train = batches(train_split, train_split.vectors(0), c_labels, u_labels)
            test = batches(test_split, test_split.vectors(0), c_labels, u_labels)
            probe = train_probe(train, HIDDEN, 48, len(c_labels.names), len(u_labels.names), epochs=30, orthogonal_weight=0.05, seed=1)
            metrics = evaluate(probe, test, test_split, c_labels, u_labels)
        self.assertGreater(metrics["f1"], 0.9, metrics)

    def test_languages_probed_in_parallel_give_what_one_process_gives(self):
        rng = random.Random(5)
        with tempfile.TemporaryDirectory() as scratch:
            scratch = Path(scratch)
            for name in ("trained", "random"):
                (scratch / name).mkdir()
                (scratch / name / "meta.json").write_text(json.dumps({"modelId": name, "hiddenSize": HIDDEN, "layers": 0, "languages": ["x", "y"]}))
                for language in ("x", "y"):
                    write_split(scratch / name, f"train-{language}", 48, rng)
                    write_split(scratch / name, f"test-{language}", 16, rng)
            outputs = {}
            for jobs in ("1", "2"):
                (scratch / "model").mkdir(exist_ok=True)
                out = scratch / f"out-{jobs}"
                subprocess.run([sys.executable, str(TRAINING / "probe_train.py"), "--data", str(scratch / "trained"), "--baseline", str(scratch / "random"),
                                "--model", str(scratch / "model"), "--out", str(out), "--epochs", "2", "--ranks", "8", "--rank", "16", "--jobs", jobs],
                               check=True, capture_output=True)
                results = json.loads((out / "results.json").read_text())
                outputs[jobs] = (results["languages"], (out / "probe.json").read_text(), [(out / f"{language}.L0.f32").read_bytes() for language in ("x", "y")])
            self.assertEqual(list(outputs["2"][0]), ["x", "y"])
            self.assertEqual(outputs["1"], outputs["2"])


if __name__ == "__main__":
    unittest.main()
