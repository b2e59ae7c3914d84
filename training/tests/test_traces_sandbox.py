"""The trace sandbox contains what untrusted code tries: loops, child processes, writes, network, memory.

Limits are small (1-2 s, 256 MB) so a failing containment cannot harm the machine.
"""
import os
import socket
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "traces"))
import sandbox  # noqa: E402

PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


class SandboxTest(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.TemporaryDirectory()
        self.root = Path(self.folder.name)
        self.scratch = self.root / "scratch"
        self.counts = sandbox.Counts()

    def tearDown(self):
        self.folder.cleanup()

    def run_python(self, code, **kwargs):
        kwargs.setdefault("timeout_s", 5)
        result = sandbox.run([PYTHON, "-c", textwrap.dedent(code)], scratch=self.scratch, **kwargs)
        self.counts.add("python", result.status)
        return result

    def test_plain_run_reads_stdin_and_writes_scratch(self):
        result = self.run_python("""
            import os, sys
            open("note.txt", "w").write(sys.stdin.read().upper())
            print(os.getcwd(), os.environ["HOME"], os.environ["TMPDIR"], sorted(os.environ))
        """, stdin=b"hello")
        self.assertEqual(result.status, "ok", result.stderr)
        cwd, home, tmp, *_ = result.stdout.decode().split(" ", 3)
        self.assertEqual({cwd, home, tmp}, {str(self.scratch.resolve())})
        self.assertEqual((self.scratch / "note.txt").read_text(), "HELLO")
        self.assertEqual(self.run_python("import sys; sys.exit(3)").status, "error")

    @unittest.skipUnless(os.geteuid() == 0, "drops to nobody only when run as root")
    def test_runs_as_nobody(self):
        result = self.run_python("import os; print(os.getuid(), os.getgid(), os.getgroups())")
        self.assertEqual(result.stdout.split()[0], str(sandbox._nobody()[0]).encode())
        self.assertIn(b"[]", result.stdout)

    def test_infinite_loop_times_out(self):
        result = self.run_python("while True: pass", timeout_s=1)
        self.assertEqual(result.status, "timeout")
        self.assertIsNone(result.returncode)
        self.assertLess(result.seconds, 3)
        self.assertEqual(self.counts.as_dict(), {"python": {"timeout": 1}})

    def test_sleeping_run_is_killed_at_the_wall_clock_limit(self):
        # sleeping uses no CPU, so RLIMIT_CPU never fires: only the group kill ends it
        result = sandbox.run(["sh", "-c", "exec sleep 30"], scratch=self.scratch, timeout_s=1)
        self.assertEqual(result.status, "timeout")
        self.assertLess(result.seconds, 3)

    def test_child_processes_cannot_start(self):
        result = self.run_python("""
            import os, subprocess
            failures = []
            try:
                subprocess.run(["true"])
            except OSError as e:
                failures.append("subprocess " + type(e).__name__)
            try:
                pid = os.fork()
                if pid == 0:
                    os._exit(0)
            except OSError as e:
                failures.append("fork " + type(e).__name__)
            print(failures)
            raise SystemExit(len(failures))
        """)
        self.assertEqual(result.status, "error")
        self.assertIn(b"subprocess BlockingIOError", result.stdout)
        self.assertIn(b"fork BlockingIOError", result.stdout)
        self.assertEqual(self.counts.total("python", ["error"]), 1)

    def test_write_outside_scratch_does_not_reach_the_host(self):
        # world-writable on the host, so only the sandbox's tmpfs over /tmp and the uid keep it out
        outside = self.root / "outside"
        outside.mkdir()
        os.chmod(outside, 0o777)
        os.chmod(self.root, 0o755)
        repo_file = Path(__file__).resolve().parents[1] / "traces" / "planted-by-sandbox-test.txt"
        result = self.run_python(f"""
            for target in [{str(outside / 'x.txt')!r}, {str(repo_file)!r}]:
                try:
                    open(target, "w").write("escaped")
                    print("wrote", target)
                except OSError as e:
                    print("refused", type(e).__name__)
        """)
        self.assertEqual(result.status, "ok", result.stderr)
        self.assertFalse((outside / "x.txt").exists())
        self.assertFalse(repo_file.exists())
        if os.geteuid() == 0:
            self.assertNotIn(b"wrote", result.stdout)

    def test_network_is_unreachable(self):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.setblocking(False)
        port = listener.getsockname()[1]
        try:
            result = self.run_python(f"""
                import socket
                reached = []
                for address in [("1.1.1.1", 80), ("127.0.0.1", {port})]:
                    s = socket.socket()
                    s.settimeout(2)
                    try:
                        s.connect(address)
                        reached.append(address)
                    except OSError as e:
                        print("refused", address, type(e).__name__)
                raise SystemExit(1 if not reached else 0)
            """, timeout_s=6)
            self.assertEqual(result.status, "error", result.stdout)
            self.assertEqual(result.stdout.count(b"refused"), 2)
            with self.assertRaises(BlockingIOError):
                listener.accept()
        finally:
            listener.close()

    def test_memory_bomb(self):
        result = self.run_python("x = bytearray(1 << 30)", memory_mb=256)
        self.assertEqual(result.status, "memory")

    def test_blocked_marker_and_read_paths(self):
        private = self.root / "private"
        (private / "pkg").mkdir(parents=True)
        (private / "pkg" / "data.txt").write_text("readable")
        (private / "secret.txt").write_text("hidden")
        os.chmod(private, 0o700)
        result = self.run_python(f"""
            import os
            print(open({str(private / 'pkg' / 'data.txt')!r}).read())
            print(os.path.exists({str(private / 'secret.txt')!r}))
            print({sandbox.BLOCKED_PREFIX!r} + "os.system")
        """, read_paths=[private / "pkg"])
        self.assertEqual(result.status, "blocked", result.stderr)
        self.assertEqual(result.blocked, ["os.system"])
        lines = result.stdout.decode().splitlines()
        self.assertEqual(lines[0], "readable")
        if os.geteuid() == 0:
            self.assertEqual(lines[1], "False")


if __name__ == "__main__":
    unittest.main()
