"""The completion LM's pieces that need no tokenizer wheel: FIM layout, the cached forward pass, the schedule."""
import random
from types import SimpleNamespace
import sys
import unittest
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lm_data import PromptShape, cap_per_language, cursor_positions, dereference_positions, encode_units, fim_cut  # noqa: E402
from lm_model import CompletionLM, ExportedLM, LMConfig  # noqa: E402
from training_run import learning_rate  # noqa: E402


class CharacterTokenizer:
    """One token per character (the tokenizers wheel is a training-stage dependency CI lacks): enough to
    check the layout and the budgets, which are counted in tokens."""
    SPECIALS = ("<|endoftext|>", "<fim_prefix>", "<fim_middle>", "<fim_suffix>")

    def token_to_id(self, name):
        return self.SPECIALS.index(name)

    def encode_batch(self, texts, add_special_tokens=False):
        return [SimpleNamespace(ids=[ord(c) + 8 for c in text]) for text in texts]

    def decode(self, ids):
        return "".join(self.SPECIALS[i] if i < 8 else chr(i - 8) for i in ids)


class FimTest(unittest.TestCase):
    TEXT = "class A {\n    run(items) {\n        this.items.push(items.length);\n        return this.items;\n    }\n}\n"

    def test_cuts_keep_the_text_and_start_where_a_cursor_sits(self):
        rng = random.Random(3)
        positions = set(cursor_positions(self.TEXT))
        for _ in range(200):
            prefix, middle, suffix = fim_cut(self.TEXT, rng, PromptShape())
            self.assertEqual(prefix + middle + suffix, self.TEXT)
            self.assertIn(len(prefix), positions)
            self.assertIn(len(prefix) + len(middle), positions)
            self.assertLess(len(prefix), len(self.TEXT))

    def test_line_middles_run_to_the_end_of_the_line(self):
        rng = random.Random(4)
        for _ in range(100):
            prefix, middle, suffix = fim_cut(self.TEXT, rng, PromptShape(line_share=1.0))
            if self.TEXT[len(prefix)] == "\n":
                continue  # a cursor at the end of its line: the middle runs on to a later boundary
            self.assertNotIn("\n", middle)
            self.assertTrue(suffix == "" or suffix.startswith("\n"), (middle, suffix[:10]))

    def test_dereference_cursors_sit_after_a_member_dot(self):
        self.assertEqual([self.TEXT[i - 5:i] for i in dereference_positions(self.TEXT)], ["this.", "tems.", "tems.", "this."])
        rng = random.Random(5)
        for _ in range(50):
            prefix, _, _ = fim_cut(self.TEXT, rng, PromptShape(dereference_share=1.0))
            self.assertIn(len(prefix), dereference_positions(self.TEXT))
        self.assertEqual(dereference_positions("x = 1.5; y = a.0"), [])
        self.assertEqual(dereference_positions("v1.x"), [3])

    def test_boundary_cuts_never_cut_white_space(self):
        positions = cursor_positions(self.TEXT)
        self.assertFalse([i for i in positions if 0 < i < len(self.TEXT) and self.TEXT[i - 1].isspace() and self.TEXT[i].isspace()])
        # where a cursor sits: after the dot, after the indentation, at the end of a line
        dot = self.TEXT.index("this.") + len("this.")
        self.assertIn(dot, positions)
        self.assertIn(self.TEXT.index("this."), positions)
        self.assertIn(self.TEXT.index(";") + 1, positions)

    def test_examples_fit_the_inference_prompt_budget_and_windows_start_at_them(self):
        tokenizer = CharacterTokenizer()
        shape = PromptShape(context_tokens=64, middle_tokens=8)  # 53 prompt tokens, 13 of suffix
        long_unit = "".join(f"let v{i} = items.get({i});\n" for i in range(40))
        ids, starts = encode_units(tokenizer, [long_unit, self.TEXT] * 10, random.Random(6), 0.5, shape, stride=20, order="psm")
        stream = tokenizer.decode(ids.tolist())
        self.assertEqual(ids.dtype, np.uint16)
        examples = stream.split("<|endoftext|>")[:-1]
        self.assertEqual(len(examples), 20)
        fim = [e for e in examples if e.startswith("<fim_prefix>")]
        self.assertTrue(0 < len(fim) < 20)
        for example in fim:
            prefix, rest = example[len("<fim_prefix>"):].split("<fim_suffix>")
            suffix, middle = rest.split("<fim_middle>")
            unit = long_unit if (prefix + middle + suffix) in long_unit else self.TEXT
            self.assertLessEqual(len(suffix), shape.suffix_tokens)
            self.assertLessEqual(len(prefix) + len(suffix), shape.prompt_tokens)
            self.assertIn(prefix + middle + suffix, unit)  # the prefix keeps its end, the suffix its start
            self.assertTrue(unit.startswith(suffix, unit.index(prefix + middle) + len(prefix + middle)))
        plain = [e for e in examples if not e.startswith("<fim_prefix>")]
        self.assertTrue(all(e in (long_unit, self.TEXT) for e in plain))
        # a window starts at every FIM example, and along plain units every `stride` tokens
        fim_starts = [i for i, token in enumerate(ids.tolist()) if token == tokenizer.token_to_id("<fim_prefix>")]
        self.assertTrue(set(fim_starts) <= set(starts))
        self.assertEqual(len(starts), len(fim_starts) + sum(-(-len(e) // 20) for e in plain))
        # suffix-prefix-middle: the same pieces, the suffix first and the middle straight after the prefix
        spm_ids, spm_starts = encode_units(tokenizer, [long_unit, self.TEXT] * 10, random.Random(6), 0.5, shape, stride=20, order="spm")
        self.assertEqual(len(spm_starts), len(starts))  # one sentinel fewer per example: the offsets shift
        spm_examples = tokenizer.decode(spm_ids.tolist()).split("<|endoftext|>")[:-1]
        for psm, spm in zip(examples, spm_examples):
            if psm.startswith("<fim_prefix>"):
                prefix, rest = psm[len("<fim_prefix>"):].split("<fim_suffix>")
                suffix, middle = rest.split("<fim_middle>")
                self.assertEqual(spm, f"<fim_suffix>{suffix}<fim_prefix>{prefix}{middle}")
            else:
                self.assertEqual(spm, psm)


class LanguageCapTest(unittest.TestCase):
    def test_caps_only_the_languages_above_it(self):
        languages = ["python"] * 50 + ["javascript"] * 5 + ["go"] * 12
        keep = cap_per_language(languages, 10, random.Random(0))
        kept = [languages[i] for i in sorted(keep)]
        self.assertEqual((kept.count("python"), kept.count("javascript"), kept.count("go")), (10, 5, 10))
        self.assertEqual(keep, cap_per_language(languages, 10, random.Random(0)))


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
