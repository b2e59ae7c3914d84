"""probe_carry_over.py: probes move to a new export only when its hidden states are computed exactly as before."""
import dataclasses
import json
import shutil
import subprocess
import sys
import tempfile
import unittest
import warnings
from pathlib import Path

import torch

TRAINING = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TRAINING))
from encoder_model import CodeEncoder, EncoderConfig  # noqa: E402
from export_onnx import export_onnx  # noqa: E402
from quantize_int8 import quantize_int8  # noqa: E402

CONFIG = EncoderConfig(vocab_size=1200, hidden_size=32, layers=2, heads=4, ffn_size=64, max_positions=40, bag_of_words=True)


def export(encoder: CodeEncoder, folder: Path, model_id: str) -> Path:
    """An int8 model folder as export_model.py writes it (the parts the carry-over reads)."""
    folder.mkdir(parents=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        export_onnx(encoder, folder / "model.fp32.onnx")
    quantize_int8(folder / "model.fp32.onnx", folder / "model.onnx")
    (folder / "config.json").write_text(json.dumps({"modelId": model_id, "onnx": "model.onnx"}))
    return folder


def carry_over(probe: Path, trained_on: Path, model: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(TRAINING / "probe_carry_over.py"), "--probe", str(probe), "--trained-on", str(trained_on),
                           "--model", str(model)], capture_output=True, text=True)


class ProbeCarryOverTest(unittest.TestCase):
    def setUp(self):
        self.folder = Path(tempfile.mkdtemp())
        torch.manual_seed(5)
        self.encoder = CodeEncoder(CONFIG).eval()
        self.old = export(self.encoder, self.folder / "old", "enc-1")
        self.probe = self.folder / "probe"
        self.probe.mkdir()
        (self.probe / "probe.json").write_text(json.dumps({"modelId": "enc-1", "languages": {}}) + "\n")
        (self.probe / "results.json").write_text(json.dumps({"modelId": "enc-1", "rank": 64}, indent=2) + "\n")

    def tearDown(self):
        shutil.rmtree(self.folder)

    def test_a_new_bag_of_words_branch_keeps_the_probes_and_takes_the_new_model_id(self):
        with torch.no_grad():
            self.encoder.bag.token_embeddings.weight.normal_()
        new = export(self.encoder, self.folder / "new", "enc-2")
        result = carry_over(self.probe, self.old / "model.onnx", new)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(json.loads((self.probe / "probe.json").read_text()), {"modelId": "enc-2", "languages": {}})
        self.assertEqual(json.loads((self.probe / "results.json").read_text()), {"modelId": "enc-2", "rank": 64})

    def test_the_same_weights_pooled_another_way_keep_the_probes(self):
        # "log-tf" pooling takes a third input, and the exporter numbers the graph's tensors anew; the hidden states stay.
        pooled = CodeEncoder(dataclasses.replace(CONFIG, pooling="log-tf")).eval()
        pooled.load_state_dict(self.encoder.state_dict())
        new = export(pooled, self.folder / "new", "enc-2")
        result = carry_over(self.probe, self.old / "model.onnx", new)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(json.loads((self.probe / "probe.json").read_text())["modelId"], "enc-2")

    def test_a_changed_block_refuses_and_leaves_the_probes_as_they_were(self):
        with torch.no_grad():
            self.encoder.blocks[1].attention.query.weight.add_(0.05)
        new = export(self.encoder, self.folder / "new", "enc-2")
        before = {name: (self.probe / name).read_text() for name in ("probe.json", "results.json")}
        result = carry_over(self.probe, self.old / "model.onnx", new)
        self.assertEqual(result.returncode, 1)
        self.assertIn("hidden states changed", result.stderr)
        self.assertIn("differs", result.stderr)
        self.assertEqual({name: (self.probe / name).read_text() for name in before}, before)


if __name__ == "__main__":
    unittest.main()
