"""finetune_contrastive.py's growing of a model and its language-weighted sampling."""
import json
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path
from types import SimpleNamespace

import random

import numpy as np
import torch

TRAINING = Path(__file__).resolve().parents[1]
WRITER = TRAINING.parent / "out" / "src" / "core" / "tokenize" / "shardWriter.js"
sys.path.insert(0, str(TRAINING))
from encoder_model import CodeEncoder, EncoderConfig, mean_pool  # noqa: E402
from finetune_contrastive import draw_batch, grow_from, package_members, sampling_pool  # noqa: E402
from token_shards import RECORD  # noqa: E402


class GrowTest(unittest.TestCase):
    def test_grown_blocks_start_as_the_identity_on_the_smaller_models_weights(self):
        torch.manual_seed(0)
        small = CodeEncoder(EncoderConfig(vocab_size=100, hidden_size=32, layers=0, heads=4, ffn_size=64, dropout=0.0))
        grown = CodeEncoder(EncoderConfig(vocab_size=100, hidden_size=32, layers=2, heads=4, ffn_size=64, dropout=0.0))
        grow_from(grown, small.state_dict())
        self.assertTrue(torch.equal(grown.token_embeddings.weight, small.token_embeddings.weight))
        ids = torch.randint(5, 100, (3, 9))
        mask = torch.ones_like(ids)
        small_states, grown_states = small.eval()(ids, mask), grown.eval()(ids, mask)
        self.assertTrue(torch.equal(grown_states[1], grown_states[0]), "block 0 is the identity")
        # the final LayerNorm (identity affine at start) only re-standardizes the bag-of-words vectors
        pooled_small = torch.nn.functional.normalize(mean_pool(small_states[-1], mask), dim=-1)
        pooled_grown = torch.nn.functional.normalize(mean_pool(grown_states[-1], mask), dim=-1)
        self.assertGreater(float((pooled_small * pooled_grown).sum(-1).min()), 0.99)
        # the blocks still learn: the zeroed projections get gradients
        grown.train()
        mean_pool(grown(ids, mask)[-1], mask).sum().backward()
        self.assertGreater(float(grown.blocks[0].ffn[2].weight.grad.abs().sum()), 0.0)

    def test_a_larger_init_is_refused(self):
        big = CodeEncoder(EncoderConfig(vocab_size=50, hidden_size=16, layers=2, heads=2, ffn_size=32))
        small = CodeEncoder(EncoderConfig(vocab_size=50, hidden_size=16, layers=1, heads=2, ffn_size=32))
        with self.assertRaises(AssertionError):
            grow_from(small, big.state_dict())


class FakeShard(SimpleNamespace):
    """What the samplers read of a TokenShard: its metadata, records and sequences."""

    def __init__(self, metadata, records, sequences=()):
        super().__init__(metadata=metadata, records=records, sequences=list(sequences))

    def sequence(self, index):
        return np.asarray(self.sequences[index], dtype=np.int64)

    def __len__(self):
        return len(self.records)


class SamplingTest(unittest.TestCase):
    def shard(self, languages):
        records = np.zeros(len(languages), RECORD)
        names = ["python", "go", "c"]
        records["language"] = [names.index(name) for name in languages]
        return FakeShard({"languages": names}, records)

    def test_weights_repeat_a_languages_pairs(self):
        shard = self.shard(["python", "go", "python", "c"])
        self.assertEqual(sampling_pool(shard, "python=3").tolist(), [0, 0, 0, 1, 2, 2, 2, 3])
        self.assertEqual(sampling_pool(shard, "go=2,c=0").tolist(), [0, 1, 1, 2])

    def test_kind_weights_multiply_language_weights(self):
        shard = self.shard(["python", "go", "python"])
        shard.metadata["kinds"] = ["documentation", "rewrite", "example"]
        shard.records["kind"] = [0, 2, 2]
        self.assertEqual(sampling_pool(shard, "", "example=2").tolist(), [0, 1, 1, 2, 2])
        self.assertEqual(sampling_pool(shard, "python=2", "example=3").tolist(), [0, 0, 1, 1, 1] + [2] * 6)
        with self.assertRaises(AssertionError):
            sampling_pool(shard, "", "tutorial=2")

    def test_an_unknown_language_is_an_error(self):
        with self.assertRaises(AssertionError):
            sampling_pool(self.shard(["python"]), "cobol=2")


class PackageBatchTest(unittest.TestCase):
    def shard(self, packages, sequences):
        records = np.zeros(len(packages), RECORD)
        records["package"] = packages
        return FakeShard({"languages": ["python"]}, records, sequences)

    def test_members_group_pairs_by_package(self):
        members = package_members(self.shard([2, 0, 2, 1, 0], [[i] for i in range(5)]))
        self.assertEqual({package: indices.tolist() for package, indices in members.items()}, {0: [1, 4], 1: [3], 2: [0, 2]})

    def test_a_package_share_draws_runs_from_one_package(self):
        packages = [index // 10 for index in range(100)]
        shard = self.shard(packages, [[index] for index in range(100)])
        pool, members = np.arange(100), package_members(shard)
        for seed in range(20):
            batch = draw_batch(random.Random(seed), pool, members, np.asarray(packages), 12, 0.5, 6, shard)
            self.assertEqual(len(batch), len(set(batch)))
            self.assertEqual(len({packages[index] for index in batch[:6]}), 1, "the first six share a package")
        uniform = draw_batch(random.Random(0), pool, members, np.asarray(packages), 12, 0.0, 6, shard)
        self.assertGreater(len({packages[index] for index in uniform}), 3)

    def test_a_repeated_query_is_left_out(self):
        shard = self.shard([0, 0, 0, 0], [[7, 8], [7, 8], [9], [10]])
        batch = draw_batch(random.Random(1), np.arange(4), package_members(shard), np.zeros(4, dtype=np.int64), 4, 1.0, 4, shard)
        self.assertEqual(sorted(shard.sequences[index][0] for index in batch), [7, 9, 10])



@unittest.skipUnless(WRITER.exists(), "compile the TypeScript first (npm run build / tsc -p test/tsconfig.json)")
class StagesTest(unittest.TestCase):
    """Two stages run end to end on tiny pair shards written by the TypeScript ShardWriter."""

    def write_pairs(self, folder: Path) -> None:
        folder.mkdir()
        rows = [[2, 40 + i, 50 + i % 3, 3] for i in range(12)]
        script = f"""
          const {{ ShardWriter }} = require({json.dumps(str(WRITER))});
          for (const split of ['train', 'valid']) for (const side of ['query', 'code']) {{
            const writer = new ShardWriter({json.dumps(str(folder))} + '/' + split + '.' + side);
            {json.dumps(rows)}.forEach((row, i) => writer.add(side === 'code' ? [...row, 60] : row, {{ unit: i, package: i % 2, language: 0, kind: 1 }}));
            writer.close({{ tokenizer: {{ vocabSize: 64 }}, languages: ['python'] }});
          }}
        """
        subprocess.run(["node", "-e", script], check=True)

    def write_units(self, folder: Path) -> None:
        """Masked-LM shards (train and valid) of the same tiny vocabulary."""
        folder.mkdir()
        rows = [[2] + [40 + (i + j) % 20 for j in range(6 + i % 5)] + [3] for i in range(16)]
        script = f"""
          const {{ ShardWriter }} = require({json.dumps(str(WRITER))});
          for (const split of ['train', 'valid']) {{
            const writer = new ShardWriter({json.dumps(str(folder))} + '/' + split);
            {json.dumps(rows)}.forEach((row, i) => writer.add(row, {{ unit: i, package: i % 2, language: 0, kind: 1 }}));
            writer.close({{ tokenizer: {{ vocabSize: 64 }}, languages: ['python'] }});
          }}
        """
        subprocess.run(["node", "-e", script], check=True)

    def pretrain(self, shards: Path, out: Path, steps: int) -> dict:
        command = [sys.executable, "-W", "ignore", str(TRAINING / "pretrain.py"), "--shards", str(shards), "--out", str(out), "--hidden", "32",
                   "--layers", "1", "--heads", "2", "--max-tokens", "16", "--batch", "4", "--warmup", "1", "--max-steps", str(steps)]
        subprocess.run(command, check=True, capture_output=True)
        return torch.load(out / "checkpoint.pt", map_location="cpu")

    def assert_same_weights(self, expected: dict, actual: dict) -> None:
        self.assertEqual(expected.keys(), actual.keys())
        for name, weights in expected.items():
            self.assertTrue(torch.equal(weights, actual[name]), name)

    def stage(self, pairs: Path, out: Path, *extra: str) -> dict:
        command = [sys.executable, "-W", "ignore", str(TRAINING / "finetune_contrastive.py"), "--pairs", str(pairs), "--out", str(out),
                   "--batch", "4", "--layers", "1", "--dropout", "0", "--mlm-weight", "1", "--checkpoint-minutes", "100", *extra]
        subprocess.run(command, check=True, capture_output=True)
        return torch.load(out / "checkpoint.pt", map_location="cpu")

    def test_a_stage_goes_on_from_its_init_stage(self):
        with tempfile.TemporaryDirectory() as folder:
            folder = Path(folder)
            self.write_pairs(folder / "pairs")
            first = self.stage(folder / "pairs", folder / "first", "--max-steps", "3")
            self.assertEqual(first["state"]["pairs"], 12)
            second = self.stage(folder / "pairs", folder / "second", "--init", str(folder / "first"), "--max-steps", "0")
            # its draws go on from the 12 pairs the first stage drew, not from the start of the same stream
            self.assertEqual(second["state"]["draw_offset"], 12)
            # the masked-LM head is the first stage's, not a new random one
            self.assert_same_weights(first["mlm_head"], second["mlm_head"])

    def test_a_stage_started_from_pretraining_keeps_its_masked_lm_head(self):
        with tempfile.TemporaryDirectory() as folder:
            folder = Path(folder)
            self.write_pairs(folder / "pairs")
            self.write_units(folder / "shards")
            self.pretrain(folder / "shards", folder / "mlm", 2)
            resumed = self.pretrain(folder / "shards", folder / "mlm", 3)  # resumes its own checkpoint
            self.assertEqual(resumed["state"]["step"], 3)
            stage = self.stage(folder / "pairs", folder / "stage", "--init", str(folder / "mlm"), "--max-steps", "0")
            self.assert_same_weights(resumed["mlm_head"], stage["mlm_head"])
            # a pretraining run saved before the head was named mlm_head ("head") starts a stage the same way
            (folder / "legacy").mkdir()
            (folder / "legacy" / "config.json").write_text((folder / "mlm" / "config.json").read_text())
            legacy = {("head" if key == "mlm_head" else key): value for key, value in resumed.items()}
            torch.save(legacy, folder / "legacy" / "checkpoint.pt")
            from_legacy = self.stage(folder / "pairs", folder / "from-legacy", "--init", str(folder / "legacy"), "--max-steps", "0")
            self.assert_same_weights(resumed["mlm_head"], from_legacy["mlm_head"])

    def branched(self, folder: Path) -> tuple[dict, dict, dict]:
        """A bag-of-words stage, a one-block stage, and the block stage with the bag-of-words stage as its branch."""
        self.write_pairs(folder / "pairs")
        bag = self.stage(folder / "pairs", folder / "bag", "--layers", "0", "--mlm-weight", "0", "--max-steps", "2")
        blocks = self.stage(folder / "pairs", folder / "blocks", "--max-steps", "2", "--seed", "1")
        both = self.stage(folder / "pairs", folder / "both", "--init", str(folder / "blocks"), "--bag-of-words", str(folder / "bag"), "--max-steps", "0")
        return bag, blocks, both

    def refused(self, folder: Path, *extra: str) -> str:
        """A stage's command that must fail; its error output."""
        result = subprocess.run([sys.executable, "-W", "ignore", str(TRAINING / "finetune_contrastive.py"), "--pairs", str(folder / "pairs"),
                                 "--out", str(folder / "refused"), *extra], capture_output=True, text=True)
        self.assertNotEqual(result.returncode, 0)
        return result.stderr

    def test_a_bag_of_words_branch_adds_the_bag_of_words_stages_embedding(self):
        with tempfile.TemporaryDirectory() as folder:
            folder = Path(folder)
            bag, blocks, both = self.branched(folder)
            models = {}
            for name, checkpoint in (("bag", bag), ("blocks", blocks), ("both", both)):
                models[name] = CodeEncoder(EncoderConfig.from_json(checkpoint["config"])).eval()
                models[name].load_state_dict(checkpoint["encoder"])
            self.assertTrue(models["both"].config.bag_of_words)
            ids = torch.tensor([[2, 41, 51, 3, 0], [2, 45, 52, 60, 3]])
            mask = (ids != 0).long()
            with torch.no_grad():
                pooled = {name: model.pool(model(ids, mask)[-1], ids, mask) for name, model in models.items()}
            # the new model starts as the sum of its two parents' embeddings, each normalized
            unit = lambda vectors: torch.nn.functional.normalize(vectors, dim=-1)  # noqa: E731
            self.assertTrue(torch.allclose(pooled["both"], unit(pooled["blocks"]) + unit(pooled["bag"]), atol=1e-6))
            self.assertFalse(torch.allclose(pooled["both"], pooled["blocks"], atol=1e-3))
            # an init that has the branch already is refused rather than overwritten
            self.assertIn("already has a bag-of-words branch", self.refused(folder, "--init", str(folder / "both"), "--bag-of-words", str(folder / "bag")))

    def test_a_bag_only_stage_changes_the_branch_alone(self):
        with tempfile.TemporaryDirectory() as folder:
            folder = Path(folder)
            _, _, both = self.branched(folder)
            trained = self.stage(folder / "pairs", folder / "trained", "--init", str(folder / "both"), "--bag-only", "--mlm-weight", "0",
                                 "--lr", "0.05", "--warmup", "1", "--max-steps", "3")
            for name, value in both["encoder"].items():
                if name.startswith("bag."):
                    self.assertFalse(torch.equal(value, trained["encoder"][name]), name)
                else:
                    self.assertTrue(torch.equal(value, trained["encoder"][name]), name)
            # it needs the branch, and trains no masked-LM
            self.assertIn("needs a bag-of-words branch", self.refused(folder, "--bag-only", "--init", str(folder / "blocks")))
            self.assertIn("no masked-LM", self.refused(folder, "--bag-only", "--init", str(folder / "both"), "--mlm-weight", "1"))

if __name__ == "__main__":
    unittest.main()
