"""The Python reader sees exactly what the TypeScript ShardWriter wrote (run after `npm run build`)."""
import json
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import numpy as np  # noqa: E402

from token_shards import TokenShard, pad_sequences  # noqa: E402

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
