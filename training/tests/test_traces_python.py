"""Python execution traces: a real doctest traced end to end, and the runner's guards in the sandbox."""
import json
import os
import socket
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

TRACES = Path(__file__).resolve().parents[1] / "traces"
sys.path.insert(0, str(TRACES))
import collect  # noqa: E402
import python_examples  # noqa: E402
import python_runner  # noqa: E402
import sandbox  # noqa: E402

MODULE = '''
import os
import socket
import subprocess


def classify(n):
    """Zero, even or odd.

    >>> classify(4)
    'even'
    >>> classify(-3)
    'odd'
    >>> [classify(k) for k in (0, 3 * 2 ** 40)]
    ['zero', 'even']
    >>> classify(None)
    Traceback (most recent call last):
    TypeError: ...
    """
    if n == 0:
        return "zero"
    label = "even" if n % 2 == 0 else "odd"
    return label


def spin():
    """
    >>> spin()
    """
    while True:
        pass


def hog():
    """
    >>> hog()
    """
    block = bytearray(1 << 30)
    return block


def spawn():
    """
    >>> spawn()
    """
    return subprocess.run(["true"])


def fork():
    """
    >>> fork()
    """
    return os.fork()


def write(path):
    """
    >>> write(OUTSIDE)
    """
    with open(path, "w") as f:
        f.write("escaped")


def reach_public():
    """
    >>> reach_public()
    """
    return socket.create_connection(("1.1.1.1", 80), timeout=1)


def reach_host():
    """
    >>> reach_host()
    """
    return socket.create_connection(("127.0.0.1", PORT), timeout=1)
'''


class PythonTracesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.TemporaryDirectory()
        root = Path(cls.folder.name)
        cls.package = root / "site"
        cls.package.mkdir()
        cls.outside = root / "outside"
        cls.outside.mkdir()
        os.chmod(cls.outside, 0o777)   # world-writable: only the guards and the sandbox keep it out
        cls.listener = socket.socket()
        cls.listener.bind(("127.0.0.1", 0))
        cls.listener.listen(1)
        cls.listener.setblocking(False)
        text = MODULE.replace("OUTSIDE", repr(str(cls.outside / "x.txt"))).replace(
            "PORT", str(cls.listener.getsockname()[1]))
        (cls.package / "tracee.py").write_text(text)
        site = python_examples.PackageSite("test-package", "test", "train", cls.package, cls.package, cls.package)
        cls.jobs = {j.qualname: j.to_json() for j in python_examples.jobs_in_file(site, cls.package / "tracee.py", "tracee.py")}
        cls.scratch = root / "scratch"
        cls.scratch.mkdir()
        cls.counts = sandbox.Counts()

    @classmethod
    def tearDownClass(cls):
        cls.listener.close()
        cls.folder.cleanup()

    def run_job(self, name, timeout_s=5, memory_mb=512):
        records, summary = collect.run_python_job(self.jobs[name], [], [TRACES, self.package], timeout_s, memory_mb,
                                                  self.scratch)
        for record in records:
            self.counts.add("python", record["status"])
        return records, summary

    def test_doctest_traced_end_to_end(self):
        job = self.jobs["classify"]
        self.assertEqual([e["source"] for e in job["examples"]],
                         ["classify(4)\n", "classify(-3)\n", "[classify(k) for k in (0, 3 * 2 ** 40)]\n",
                          "classify(None)\n"])
        records, summary = self.run_job("classify")
        self.assertEqual(summary["status"], "ok")
        lines = job["source"].splitlines()
        at = {key: next(i for i, line in enumerate(lines) if key in line)
              for key in ("if n == 0", 'return "zero"', "label =", "return label")}
        by_id = {r["id"]: r for r in records}
        self.assertEqual(sorted(by_id), ["python:test-package:tracee.py:classify:%s" % s
                                         for s in ("0:0", "1:0", "2:0", "2:1", "3:0")])

        even = by_id["python:test-package:tracee.py:classify:0:0"]
        self.assertEqual(even["status"], "ok")
        self.assertEqual(even["input"], "classify(4)\n")
        self.assertEqual(even["executed"], [at["if n == 0"], at["label ="], at["return label"]])
        self.assertEqual(even["path"], even["executed"])
        self.assertEqual(even["start_line"], MODULE.splitlines().index("def classify(n):") + 1)
        self.assertEqual(even["source"], "".join(line + "\n" for line in lines))
        self.assertEqual(even["line_count"], len(lines))
        values = {(v["line"], v["name"]): (v["type"], v["category"]) for v in even["values"]}
        self.assertEqual(values, {(at["if n == 0"], "n"): ("int", "positive"),
                                  (at["label ="], "n"): ("int", "positive"),
                                  (at["label ="], "label"): ("str", "non_empty"),
                                  (at["return label"], "n"): ("int", "positive"),
                                  (at["return label"], "label"): ("str", "non_empty")})

        odd = by_id["python:test-package:tracee.py:classify:1:0"]
        self.assertIn({"line": at["if n == 0"], "name": "n", "type": "int", "category": "negative"}, odd["values"])
        zero = by_id["python:test-package:tracee.py:classify:2:0"]
        self.assertEqual(zero["executed"], [at["if n == 0"], at['return "zero"']])
        self.assertIn({"line": at['return "zero"'], "name": "n", "type": "int", "category": "zero"}, zero["values"])
        large = by_id["python:test-package:tracee.py:classify:2:1"]
        self.assertIn({"line": at["if n == 0"], "name": "n", "type": "int", "category": "large_positive"},
                      large["values"])
        failed = by_id["python:test-package:tracee.py:classify:3:0"]
        self.assertEqual(failed["status"], "exception")
        self.assertEqual(failed["executed"], [at["if n == 0"], at["label ="]])   # None % 2 raises
        self.assertIn({"line": at["if n == 0"], "name": "n", "type": "none", "category": "none"}, failed["values"])

    def test_infinite_loop_is_a_timeout_record(self):
        records, summary = self.run_job("spin", timeout_s=1.5)
        self.assertEqual(summary["status"], "timeout")
        self.assertEqual([(r["status"], r["executed"]) for r in records], [("timeout", [])])
        self.assertEqual(records[0]["input"], "spin()\n")

    def test_memory_bomb(self):
        records, summary = self.run_job("hog", memory_mb=256)
        self.assertEqual([r["status"] for r in records], ["memory"])

    def test_child_processes_are_blocked(self):
        for name in ("spawn", "fork"):
            records, summary = self.run_job(name)
            self.assertEqual(summary["status"], "blocked", name)
            self.assertEqual([r["status"] for r in records], ["blocked"], name)
        self.assertGreaterEqual(self.counts.total("python", ["blocked"]), 2)

    def test_write_outside_scratch_is_blocked(self):
        records, summary = self.run_job("write")
        self.assertEqual(summary["status"], "blocked")
        self.assertEqual([r["status"] for r in records], ["blocked"])
        self.assertFalse((self.outside / "x.txt").exists())

    def test_network_is_blocked(self):
        for name in ("reach_public", "reach_host"):
            records, summary = self.run_job(name)
            self.assertEqual(summary["status"], "blocked", name)
            self.assertEqual([r["status"] for r in records], ["blocked"], name)
        with self.assertRaises(BlockingIOError):
            self.listener.accept()

    def test_quantize_uses_the_shared_vocabularies(self):
        from decimal import Decimal
        from fractions import Fraction
        vocab = json.loads((TRACES / "categories.json").read_text())
        cases = [(None, ("none", "none")), (True, ("bool", "true")), (False, ("bool", "false")), (0, ("int", "zero")),
                 (-2 ** 31, ("int", "large_negative")), (2.5, ("float", "positive")), (float("nan"), ("float", "nan")),
                 (float("inf"), ("float", "large_positive")), (Fraction(-1, 3), ("float", "negative")),
                 (Decimal(0), ("float", "zero")), ("", ("str", "empty")), (b"x", ("bytes", "non_empty")),
                 ((), ("tuple", "empty")), (frozenset([1]), ("set", "non_empty")), ([], ("list", "empty")),
                 ({1: 2}, ("dict", "non_empty")), (len, ("function", "function")), (lambda: 0, ("function", "function")),
                 (str, ("object", "object")), (object(), ("object", "object"))]
        for value, expected in cases:
            self.assertEqual(python_runner.quantize(value), expected, repr(value))
        produced = {expected for _, expected in cases} | {("undefined", "undefined")}
        self.assertTrue({t for t, _ in produced} <= set(vocab["types"]))
        self.assertTrue({c for _, c in produced} <= set(vocab["categories"]))


if __name__ == "__main__":
    unittest.main()
