"""encoder_model's pooling: "mean", and "log-tf", where a token that occurs c times in its unit weighs log(1 + c)."""
import math
import sys
import unittest
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from encoder_model import CodeEncoder, EncoderConfig, pooling_weights, token_counts  # noqa: E402


def tiny(pooling: str) -> CodeEncoder:
    torch.manual_seed(0)
    config = EncoderConfig(vocab_size=50, hidden_size=16, layers=1, heads=2, ffn_size=32, max_positions=32, dropout=0.0, bag_of_words=True, pooling=pooling)
    return CodeEncoder(config).eval()


class PoolingTest(unittest.TestCase):
    def test_token_counts_count_each_id_among_the_real_tokens_only(self):
        ids = torch.tensor([[1, 7, 7, 9, 7, 2], [1, 9, 2, 9, 0, 0]])
        mask = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]])  # the second row's later 9 is padding
        self.assertEqual(token_counts(ids, mask).tolist(), [[1, 3, 3, 1, 3, 1], [1, 1, 1, 0, 0, 0]])

    def test_log_tf_gives_a_token_repeated_c_times_the_weight_log_1_plus_c(self):
        ids = torch.tensor([[1, 7, 7, 7, 9, 2, 0]])
        mask = torch.tensor([[1, 1, 1, 1, 1, 1, 0]])
        weights = pooling_weights(tiny("log-tf").config, ids, mask)
        self.assertAlmostEqual(weights[0, 1:4].sum().item(), math.log(4), places=5)
        self.assertAlmostEqual(weights[0, 4].item(), math.log(2), places=5)
        self.assertEqual(weights[0, 6].item(), 0.0)
        self.assertEqual(pooling_weights(tiny("mean").config, ids, mask).tolist(), mask.float().tolist())

    def test_the_pooled_vector_is_the_weighted_mean_of_both_branches(self):
        encoder = tiny("log-tf")
        ids = torch.tensor([[1, 7, 7, 7, 9, 2]])
        mask = torch.ones_like(ids)
        with torch.no_grad():
            final = encoder(ids, mask)[-1]
            pooled = encoder.pool(final, ids, mask)
            weights = torch.tensor([math.log(2), math.log(4) / 3, math.log(4) / 3, math.log(4) / 3, math.log(2), math.log(2)])
            blocks = (final[0] * weights[:, None]).sum(0) / weights.sum()
            bag = (encoder.bag(ids)[0] * weights[:, None]).sum(0) / weights.sum()
            expected = torch.nn.functional.normalize(blocks, dim=-1) + torch.nn.functional.normalize(bag, dim=-1)
        self.assertLess((pooled[0] - expected).abs().max().item(), 1e-5)

    def test_counts_from_the_whole_unit_change_a_window_s_vector(self):
        # A window of a longer unit: 7 occurs once here but five times in the unit, so it weighs less.
        encoder = tiny("log-tf")
        ids = torch.tensor([[1, 7, 9, 11, 2]])
        mask = torch.ones_like(ids)
        unit_counts = torch.tensor([[3.0, 5.0, 1.0, 1.0, 3.0]])
        with torch.no_grad():
            final = encoder(ids, mask)[-1]
            alone, in_unit = encoder.pool(final, ids, mask), encoder.pool(final, ids, mask, unit_counts)
        self.assertGreater((alone - in_unit).abs().max().item(), 1e-3)
        self.assertAlmostEqual(pooling_weights(encoder.config, ids, mask, unit_counts)[0, 1].item(), math.log(6) / 5, places=6)

    def test_an_unknown_pooling_is_refused(self):
        with self.assertRaisesRegex(ValueError, "pooling must be one of mean, log-tf"):
            EncoderConfig(pooling="max")


if __name__ == "__main__":
    unittest.main()
