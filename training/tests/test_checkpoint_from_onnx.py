"""checkpoint_from_onnx.py: a run folder rebuilt from an exported int8 model holds the model's weights."""
import json
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
from export_onnx import export_onnx, reference_outputs  # noqa: E402
from quantize_int8 import quantize_int8  # noqa: E402


def exported(folder: Path, config: EncoderConfig) -> CodeEncoder:
    """A model folder as export_model.py writes it (int8 model.onnx, parity/reference.json, config.json), of an
    encoder whose every weight is random (unit normal: sharp attention, so a wrong head count shows), so a parameter put in the wrong place cannot go unnoticed."""
    torch.manual_seed(3)
    encoder = CodeEncoder(config).eval()
    with torch.no_grad():
        for parameter in encoder.parameters():
            parameter.normal_()
    (folder / "parity").mkdir(parents=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        export_onnx(encoder, folder / "parity" / "model.fp32.onnx")
    quantize_int8(folder / "parity" / "model.fp32.onnx", folder / "model.onnx")
    generator = torch.Generator().manual_seed(4)
    sequences = [torch.randint(5, config.vocab_size, (length,), generator=generator).tolist() for length in (7, 19, 12)] + [[5, 6, 5, 5, 7]]
    (folder / "parity" / "reference.json").write_text(json.dumps(reference_outputs(encoder, sequences)))
    (folder / "config.json").write_text(json.dumps({"modelId": "tiny-test"}))
    return encoder


def rebuild(model: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(TRAINING / "checkpoint_from_onnx.py"), "--model", str(model), "--out", str(out), *extra],
                          capture_output=True, text=True)


class CheckpointFromOnnxTest(unittest.TestCase):
    def test_rebuilds_every_weight_and_the_architecture_with_and_without_the_bag_of_words_branch(self):
        # The quantizer stores token tables of 1,000 rows or more in int8, smaller ones in float (the smoke model's).
        # A model that takes token counts pools "log-tf": the rebuilt config says so.
        for bag, vocab, pooling in ((False, 1200, "mean"), (True, 1200, "mean"), (True, 64, "mean"), (True, 1200, "log-tf")):
            config = EncoderConfig(vocab_size=vocab, hidden_size=32, layers=2, heads=4, ffn_size=64, max_positions=40, bag_of_words=bag, pooling=pooling)
            with tempfile.TemporaryDirectory() as folder:
                original = exported(Path(folder) / "model", config)
                result = rebuild(Path(folder) / "model", Path(folder) / "run")
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertGreater(json.loads(result.stdout)["reference_cosine_min"], 0.99)
                rebuilt_config = EncoderConfig.load(Path(folder) / "run" / "config.json")
                self.assertEqual(rebuilt_config, config)
                state = torch.load(Path(folder) / "run" / "checkpoint.pt")["encoder"]
                self.assertEqual(set(state), set(original.state_dict()))
                for name, value in original.state_dict().items():
                    # int8 per row or column: within half a step (max / 127 / 2) of the original.
                    self.assertLess((state[name] - value).abs().max().item(), value.abs().max().item() / 127, name)
                # A stage can start from it: it loads strictly into the architecture its config names.
                CodeEncoder(rebuilt_config).load_state_dict(state)

    def test_a_wrong_head_count_and_an_existing_run_are_refused(self):
        config = EncoderConfig(vocab_size=1200, hidden_size=32, layers=2, heads=4, ffn_size=64, max_positions=40)
        with tempfile.TemporaryDirectory() as folder:
            exported(Path(folder) / "model", config)
            wrong = rebuild(Path(folder) / "model", Path(folder) / "run", "--heads", "2")
            self.assertNotEqual(wrong.returncode, 0)
            self.assertIn("is --heads 2 right?", wrong.stderr)
            self.assertFalse((Path(folder) / "run" / "checkpoint.pt").exists())
            self.assertEqual(rebuild(Path(folder) / "model", Path(folder) / "run").returncode, 0)
            again = rebuild(Path(folder) / "model", Path(folder) / "run")
            self.assertNotEqual(again.returncode, 0)
            self.assertIn("never overwritten", again.stderr)


if __name__ == "__main__":
    unittest.main()
