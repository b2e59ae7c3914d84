"""The Python reader sees exactly what the TypeScript ShardWriter wrote (run after `npm run build`)."""
import json
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import numpy as np  # noqa: E402

from token_shards import JoinedShards, TokenShard, open_shards, pad_sequences  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
WRITER = REPO / "out" / "src" / "core" / "tokenize" / "shardWriter.js"


@unittest.skipUnless(WRITER.exists(), "compile the TypeScript first (npm run build / tsc -p test/tsconfig.json)")
class TokenShardTest(unittest.TestCase):
    def test_reads_what_typescript_wrote(self):
        with tempfile.TemporaryDirectory() as folder:
            prefix = Path(folder) / "train"
            script = f"""
              const {{ ShardWriter }} = require({json.dumps(str(WRITER))});
              const writer = new ShardWriter({json.dumps(str(prefix))});
              writer.add([2, 40, 41, 3], {{ unit: 0, package: 0, language: 0, kind: 1 }});
              writer.add([2, 65535, 3], {{ unit: 7, package: 1, language: 3, kind: 0 }});
              writer.close({{ tokenizer: {{ vocabSize: 16000 }} }});
            """
            subprocess.run(["node", "-e", script], check=True)
            shard = TokenShard(prefix)
            self.assertEqual(len(shard), 2)
            self.assertEqual(shard.vocab_size, 16000)
            self.assertEqual(shard.sequence(0).tolist(), [2, 40, 41, 3])
            self.assertEqual(shard.sequence(1).tolist(), [2, 65535, 3])
            self.assertEqual(int(shard.records[1]["unit"]), 7)
            self.assertEqual(int(shard.records[1]["language"]), 3)

    def write(self, prefix, sequences, metadata):
        script = f"""
          const {{ ShardWriter }} = require({json.dumps(str(WRITER))});
          const writer = new ShardWriter({json.dumps(str(prefix))});
          for (const [ids, info] of {json.dumps(sequences)}) writer.add(ids, info);
          writer.close({json.dumps(metadata)});
        """
        subprocess.run(["node", "-e", script], check=True)

    def test_joined_shards_read_as_one_with_packages_and_kinds_renumbered(self):
        tokenizer = {"sha256": "abc", "vocabSize": 16000}
        with tempfile.TemporaryDirectory() as folder:
            mined, examples = Path(folder) / "mined", Path(folder) / "examples"
            self.write(mined, [[[2, 10, 3], {"unit": 0, "package": 1, "language": 0, "kind": 1}],
                               [[2, 11, 12, 3], {"unit": 1, "package": 0, "language": 0, "kind": 0}]],
                       {"tokenizer": tokenizer, "languages": ["python", "go"], "kinds": ["documentation", "rewrite"], "packages": ["a", "b"]})
            self.write(examples, [[[2, 20, 3], {"unit": 0, "package": 0, "language": 1, "kind": 2}]],
                       {"tokenizer": tokenizer, "languages": ["python", "go"], "kinds": ["documentation", "rewrite", "example"], "packages": ["doc"]})
            self.assertIsInstance(open_shards([mined]), TokenShard)
            joined = open_shards([mined, examples])
            self.assertIsInstance(joined, JoinedShards)
            self.assertEqual(len(joined), 3)
            self.assertEqual([joined.sequence(i).tolist() for i in range(3)], [[2, 10, 3], [2, 11, 12, 3], [2, 20, 3]])
            self.assertEqual(joined.metadata["packages"], ["a", "b", "doc"])
            self.assertEqual(joined.records["package"].tolist(), [1, 0, 2])
            self.assertEqual([joined.metadata["kinds"][k] for k in joined.records["kind"]], ["rewrite", "documentation", "example"])
            self.assertEqual(joined.records["language"].tolist(), [0, 0, 1])
            other = Path(folder) / "other"
            self.write(other, [[[2, 3], {"unit": 0, "package": 0, "language": 0, "kind": 0}]],
                       {"tokenizer": {"sha256": "def", "vocabSize": 16000}, "languages": ["python", "go"], "kinds": ["documentation"], "packages": ["x"]})
            with self.assertRaisesRegex(ValueError, "different tokenizers"):
                open_shards([mined, other])

    def test_refuses_a_truncated_shard(self):
        with tempfile.TemporaryDirectory() as folder:
            prefix = Path(folder) / "broken"
            Path(f"{prefix}.json").write_text(json.dumps({"format": "astrolabe-shard", "version": 1, "sequences": 2, "tokens": 5, "recordBytes": 24}))
            Path(f"{prefix}.idx").write_bytes(b"\0" * 24)
            Path(f"{prefix}.bin").write_bytes(b"\0" * 10)
            with self.assertRaisesRegex(ValueError, "do not match the counts"):
                TokenShard(prefix)


if __name__ == "__main__":
    unittest.main()


class PadSequencesTest(unittest.TestCase):
    def test_pads_right_to_the_longest_row_with_a_mask(self):
        rows = [np.array([2, 65535, 3], dtype="<u2"), [2, 3], np.array([2, 7, 8, 9, 3], dtype="<u2")]
        ids, mask = pad_sequences(rows, pad_id=5)
        self.assertEqual(ids.dtype, np.int64)
        self.assertEqual(ids.tolist(), [[2, 65535, 3, 5, 5], [2, 3, 5, 5, 5], [2, 7, 8, 9, 3]])  # uint16 ids survive
        self.assertEqual(mask.tolist(), [[1, 1, 1, 0, 0], [1, 1, 0, 0, 0], [1, 1, 1, 1, 1]])
