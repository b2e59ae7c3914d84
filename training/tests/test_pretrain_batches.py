"""pretrain.py's batches: windows of long sequences, and length-grouped batches that pad less."""
import random
import sys
import unittest
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pretrain import batches  # noqa: E402

PAD = 0


class Sequences:
    """What batches() reads from a TokenShard: len() and sequence(i)."""

    def __init__(self, lengths):
        # Sequence i is [CLS]=2 then the value i + 10 repeated: a row names its source.
        self.rows = [np.array([2] + [i + 10] * (length - 1), dtype=np.int64) for i, length in enumerate(lengths)]

    def __len__(self):
        return len(self.rows)

    def sequence(self, index):
        return self.rows[index]


def padding_share(source, count):
    padded = real = 0
    for _ in range(count):
        ids, mask = next(source)
        padded += ids.numel()
        real += int(mask.sum())
        assert bool((ids[mask == 0] == PAD).all())
    return 1 - real / padded


class BatchesTest(unittest.TestCase):
    def setUp(self):
        lengths_rng = random.Random(3)
        self.shard = Sequences([lengths_rng.choice([8, 12, 30, 60, 250, 400]) for _ in range(500)])

    def test_pooled_batches_pad_far_less_and_keep_every_row_whole(self):
        plain = padding_share(batches(self.shard, 16, 256, random.Random(1), PAD), 64)
        pooled = padding_share(batches(self.shard, 16, 256, random.Random(1), PAD, pool=16), 64)
        self.assertGreater(plain, 0.5)
        self.assertLess(pooled, plain / 3)
        ids, mask = next(batches(self.shard, 16, 256, random.Random(2), PAD, pool=4))
        for row, row_mask in zip(ids, mask):
            tokens = row[row_mask == 1]
            self.assertEqual(int(tokens[0]), 2, "[CLS] first")
            self.assertEqual(len(set(tokens[1:].tolist())), 1, "one source sequence per row")
            self.assertLessEqual(len(tokens), 256, "long sequences give a window of max_tokens")

    def test_without_a_pool_the_draws_are_those_of_plain_random_batches(self):
        # The validation loss samples with pool 1 and a fixed seed: runs stay comparable with earlier ones.
        first = next(batches(self.shard, 8, 128, random.Random(5), PAD))[0]
        rng = random.Random(5)
        drawn = [rng.randrange(len(self.shard)) for _ in range(8)]
        self.assertEqual([int(row[1]) - 10 for row in first], drawn)


if __name__ == "__main__":
    unittest.main()
