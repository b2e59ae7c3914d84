"""The completion LM's pieces that need no tokenizer wheel: FIM layout, the cached forward pass, the schedule."""
import random
import sys
import unittest
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lm_data import cursor_positions, fim_pieces  # noqa: E402
from lm_model import CompletionLM, ExportedLM, LMConfig  # noqa: E402
from training_run import learning_rate  # noqa: E402


class FimTest(unittest.TestCase):
    def test_pieces_keep_the_text_and_order_prefix_suffix_middle(self):
        rng = random.Random(3)
        text = "function f(a) {\n  return a.b;\n}\n"
        seen_fim = seen_plain = False
        for _ in range(50):
            pieces = fim_pieces(text, rng, 0.5)
            specials = [special for special, _ in pieces]
            if specials[0] == "<fim_prefix>":
                seen_fim = True
                self.assertEqual(specials, ["<fim_prefix>", "<fim_suffix>", "<fim_middle>", "<|endoftext|>"])
                prefix, suffix, middle = pieces[0][1], pieces[1][1], pieces[2][1]
                self.assertEqual(prefix + middle + suffix, text)
            else:
                seen_plain = True
                self.assertEqual(pieces, [(None, text), ("<|endoftext|>", "")])
        self.assertTrue(seen_fim and seen_plain)

    def test_boundary_splits_never_cut_a_word(self):
        rng = random.Random(5)
        text = "const total = items.reduce(add, 0);"
        for _ in range(100):
            pieces = fim_pieces(text, rng, 1.0)
            prefix, suffix = pieces[0][1], pieces[1][1]
            for left, right in ((prefix, text[len(prefix):]), (text[: len(text) - len(suffix)], suffix)):
                self.assertFalse(left and right and left[-1].isalnum() and right[0].isalnum(), (left, right))

    def test_boundary_splits_never_cut_white_space(self):
        text = "class A {\n    run() {\n        this.items.push(1);\n    }\n}\n"
        positions = cursor_positions(text)
        self.assertFalse([i for i in positions if 0 < i < len(text) and text[i - 1].isspace() and text[i].isspace()])
        # where a cursor sits: after the dot, after the indentation, at the end of a line
        dot = text.index("this.") + len("this.")
        self.assertIn(dot, positions)
        self.assertIn(text.index("this."), positions)
        self.assertIn(text.index(";") + 1, positions)


class ModelTest(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(0)
        self.model = CompletionLM(LMConfig(vocab_size=50, hidden_size=32, layers=2, heads=4, max_positions=64)).eval()

    def test_cached_steps_equal_one_pass(self):
        ids = torch.randint(0, 50, (1, 12))
        exported = ExportedLM(self.model).eval()
        with torch.no_grad():
            keys, values = self.model.empty_cache()
            full, full_keys, _ = exported(ids, keys, values)
            _, keys, values = exported(ids[:, :7], keys, values)
            for index in range(7, 12):
                step, keys, values = exported(ids[:, index:index + 1], keys, values)
        self.assertTrue(torch.allclose(full, step, atol=1e-5))
        self.assertEqual(tuple(keys.shape), (2, 1, 4, 12, 8))
        self.assertTrue(torch.allclose(full_keys, keys, atol=1e-5))

    def test_causal(self):
        ids = torch.randint(0, 50, (1, 10))
        changed = ids.clone()
        changed[0, 6:] = (changed[0, 6:] + 1) % 50
        with torch.no_grad():
            self.assertTrue(torch.allclose(self.model(ids)[0, :6], self.model(changed)[0, :6], atol=1e-6))


class ScheduleTest(unittest.TestCase):
    def test_warmup_flat_then_cooldown(self):
        # 30-minute budget, 10 warmup steps, 5 cooldown minutes
        self.assertAlmostEqual(learning_rate(1e-3, 0, 10, 30.0, 5.0), 1e-4)
        self.assertAlmostEqual(learning_rate(1e-3, 100, 10, 20.0, 5.0), 1e-3)
        self.assertAlmostEqual(learning_rate(1e-3, 100, 10, 2.5, 5.0), 5e-4)
        self.assertAlmostEqual(learning_rate(1e-3, 100, 10, -10.0, 5.0), 1e-4)
        self.assertAlmostEqual(learning_rate(1e-3, 100, 10, 1.0, 0.0), 1e-3)


if __name__ == "__main__":
    unittest.main()
