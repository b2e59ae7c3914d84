"""probe_lm_states.py: leaves meet the LM's tokens by offset, and the per-layer states are the model's own."""
import sys
import unittest
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lm_model import CompletionLM, LMConfig  # noqa: E402
from probe_lm_states import code_point_offsets, layer_states, leaf_tokens  # noqa: E402


class LeafTokensTest(unittest.TestCase):
    def test_each_leaf_gets_the_tokens_overlapping_it(self):
        text = "f(x).y"
        spans = [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 6]]
        tokens = [(0, 1), (1, 2), (2, 3), (3, 5), (5, 6)]  # ")." is one BPE token: both leaves get it
        groups = [group.tolist() for group in leaf_tokens(spans, tokens, text)]
        self.assertEqual(groups, [[0], [1], [2], [3], [3], [4]])

    def test_utf16_spans_are_read_as_code_points(self):
        text = "a = '😀' + b"  # the emoji is two UTF-16 units, one code point
        self.assertEqual(code_point_offsets(text)[:8], [0, 1, 2, 3, 4, 5, 5, 6])
        spans = [[0, 1], [2, 3], [4, 8], [9, 10], [11, 12]]  # UTF-16 offsets, as Node writes them
        tokens = [(0, 1), (1, 3), (3, 7), (7, 9), (9, 11)]  # code points, as the tokenizer reports them
        groups = [group.tolist() for group in leaf_tokens(spans, tokens, text)]
        self.assertEqual(groups, [[0], [1], [2], [3], [4]])


class LayerStatesTest(unittest.TestCase):
    def test_the_last_layer_is_what_the_model_computes(self):
        torch.manual_seed(0)
        model = CompletionLM(LMConfig(vocab_size=50, hidden_size=32, layers=2, heads=2, max_positions=16)).eval()
        ids = torch.randint(0, 50, (1, 9))
        with torch.no_grad():
            states = layer_states(model, ids)
            expected, _, _ = model.hidden(ids, *model.empty_cache(1))
        self.assertEqual(len(states), 3)
        self.assertTrue(torch.allclose(states[-1], expected, atol=1e-6))
        # causal: a later token does not change an earlier state
        changed = ids.clone()
        changed[0, -1] = (changed[0, -1] + 1) % 50
        with torch.no_grad():
            self.assertTrue(torch.allclose(layer_states(model, changed)[1][0, :-1], states[1][0, :-1], atol=1e-6))


if __name__ == "__main__":
    unittest.main()
