"""Run one untrusted program in a contained child process (any language).

API (stable; the Python and JavaScript trace collectors both use it):

    from sandbox import run, Counts, BLOCKED_PREFIX, isolation

    result = run(argv, scratch=Path, timeout_s=5, memory_mb=512, stdin=None, env=None, read_paths=())

`argv`          the command; argv[0] is looked up on PATH=/usr/local/bin:/usr/bin:/bin.
`scratch`       the only host directory the program may write (created if missing; as root it is
                chowned to `nobody`). It is the working directory, HOME and TMPDIR.
`timeout_s`     wall-clock limit; the whole process group (and PID namespace) is killed at it.
                RLIMIT_CPU (ceil(timeout_s) + 1 s) is a backstop.
`memory_mb`     RLIMIT_AS of the program. 0 means no address-space limit: V8 reserves more than
                512 MB of address space at start, so `node` needs >= 1024 or 0 plus its own
                `--max-old-space-size`.
`stdin`         bytes fed to the program (None: /dev/null).
`env`           added to a minimal environment (PATH, HOME, TMPDIR, LANG).
`read_paths`    files or directories the program must read. Inside the sandbox they are visible at
                the same absolute paths, read-only, even below a directory private to root (such as
                /root): that directory is covered by an empty tmpfs with only these paths bound back.

Returns a `SandboxResult`:
  status      "ok" | "error" (non-zero exit) | "timeout" | "memory" | "crash" (killed by a signal,
              or the sandbox could not start it) | "blocked" (the program reported a guard-blocked
              action: a stdout line starting with BLOCKED_PREFIX, printed by the language runner)
  returncode  exit code, or -signal; None after a timeout
  stdout, stderr  bytes (each capped at OUTPUT_CAP_BYTES)
  seconds     wall time
  blocked     the text after BLOCKED_PREFIX of each such line
  notes       why a layer was weaker than intended (e.g. no network namespace), else empty

Layers, outermost first (see `isolation()` for what this machine allows):
  1. `unshare --net --mount --pid --fork --kill-child --mount-proc`: no network interface but a
     down loopback; a private mount table; a PID namespace, so killing its first process kills
     every process the program started, even one that left the process group.
  2. In that namespace, as root, `sandbox_exec.py` covers /tmp, /var/tmp, /dev/shm and any
     root-private ancestor of scratch/read paths with fresh tmpfs, binds scratch back read-write
     and read paths back read-only, then forks the program.
  3. The program's process drops to uid/gid `nobody` (when we are root), sets rlimits (AS, NPROC = 1
     so neither fork nor threads succeed, FSIZE 16 MB, CORE 0, NOFILE 64, CPU) and execs argv.
  4. The session and process group of the whole tree are killed with SIGKILL at the timeout and
     after the program ends (stray children).
Without root, user namespaces are tried (`--map-root-user`: no uid drop); without `unshare`, the
program runs with rlimits only; both are recorded in `notes`.

`Counts` tallies statuses per language: `counts.add("python", "ok")`, `counts.as_dict()`.
"""
from __future__ import annotations

import json
import math
import os
import pwd
import grp
import selectors
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

STATUSES = ("ok", "error", "timeout", "memory", "crash", "blocked")
BLOCKED_PREFIX = "@@astrolabe-sandbox-blocked "
OUTPUT_CAP_BYTES = 8 << 20
FILE_SIZE_LIMIT_BYTES = 16 << 20
OPEN_FILES_LIMIT = 64
# Counted per uid system-wide, so any value > 1 would depend on what other sandboxes run.
PROCESS_LIMIT = 1
TMP_DIRS = ("/tmp", "/var/tmp", "/dev/shm")
EXEC_HELPER = Path(__file__).resolve().with_name("sandbox_exec.py")
NAMESPACE_FLAGS = ["--net", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc"]
# Seen on stderr when an allocation failed under RLIMIT_AS (Python, libc, C++, V8).
MEMORY_MARKERS = (b"MemoryError", b"Cannot allocate memory", b"out of memory", b"bad_alloc", b"ENOMEM",
                  b"Out of memory")


@dataclass
class SandboxResult:
    status: str
    returncode: int | None
    stdout: bytes
    stderr: bytes
    seconds: float
    blocked: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Isolation:
    prefix: tuple[str, ...]      # the unshare command the helper runs under, or ()
    drop_to_nobody: bool
    namespaces: bool
    notes: tuple[str, ...]


class Counts:
    """Status tallies per language, e.g. {"python": {"ok": 10, "timeout": 1}}."""

    def __init__(self, initial: dict | None = None):
        self._by_language: dict[str, Counter] = {}
        for language, statuses in (initial or {}).items():
            self._by_language[language] = Counter(statuses)

    def add(self, language: str, status: str, n: int = 1) -> None:
        self._by_language.setdefault(language, Counter())[status] += n

    def total(self, language: str | None = None, statuses: Iterable[str] | None = None) -> int:
        langs = [language] if language else list(self._by_language)
        wanted = set(statuses) if statuses is not None else None
        return sum(n for lang in langs for s, n in self._by_language.get(lang, {}).items()
                   if wanted is None or s in wanted)

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {lang: dict(sorted(c.items())) for lang, c in sorted(self._by_language.items())}

    def __str__(self) -> str:
        return " | ".join(lang + ": " + " ".join(f"{s}={n}" for s, n in c.items())
                          for lang, c in self.as_dict().items())


_isolation: Isolation | None = None


def _nobody() -> tuple[int, int]:
    try:
        user = pwd.getpwnam("nobody")
        uid, gid = user.pw_uid, user.pw_gid
    except KeyError:
        uid, gid = 65534, 65534
    try:
        gid = grp.getgrnam("nogroup").gr_gid
    except KeyError:
        pass
    return uid, gid


def isolation() -> Isolation:
    """What this machine allows, probed once per process."""
    global _isolation
    if _isolation is not None:
        return _isolation
    notes: list[str] = []
    unshare = shutil.which("unshare") or ("/usr/bin/unshare" if os.path.exists("/usr/bin/unshare") else None)
    root = os.geteuid() == 0
    result = Isolation((), False, False, ("unshare not found: no network, mount or PID namespace",))
    if unshare:
        attempts = [(unshare, *NAMESPACE_FLAGS)] if root else []
        attempts.append((unshare, "--map-root-user", *NAMESPACE_FLAGS))
        for prefix in attempts:
            probe = subprocess.run([*prefix, "--", "true"], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, timeout=30)
            if probe.returncode == 0:
                user_ns = "--map-root-user" in prefix
                if user_ns:
                    notes.append("not root: a user namespace instead of dropping to nobody")
                result = Isolation(tuple(prefix) + ("--",), root and not user_ns, True, tuple(notes))
                break
            notes.append("%s failed: %s" % (" ".join(prefix[1:]), probe.stderr.decode(errors="replace").strip()[:200]))
        else:
            result = Isolation((), False, False, tuple(notes))
    _isolation = result
    return result


def _prepare_scratch(scratch: Path, iso: Isolation) -> None:
    scratch.mkdir(parents=True, exist_ok=True)
    if iso.drop_to_nobody:
        uid, gid = _nobody()
        os.chown(scratch, uid, gid)
        os.chmod(scratch, 0o700)
    elif os.geteuid() == 0:
        os.chmod(scratch, 0o777)


def _classify(timed_out: bool, exit_info: dict, stdout: bytes, stderr: bytes) -> tuple[str, int | None, list[str]]:
    blocked = [line[len(BLOCKED_PREFIX):].strip() for line in
               stdout.decode("utf-8", "replace").splitlines() if line.startswith(BLOCKED_PREFIX)]
    if timed_out:
        return "timeout", None, blocked
    if "setup_error" in exit_info or not exit_info:
        return "crash", None, blocked
    sig = exit_info.get("signal")
    code = -sig if sig else exit_info.get("exit", 0)
    if sig == signal.SIGXCPU:
        return "timeout", code, blocked
    failed = code != 0
    if failed and any(m in stderr[-8192:] for m in MEMORY_MARKERS):
        return "memory", code, blocked
    if blocked:
        return "blocked", code, blocked
    if sig == signal.SIGKILL:   # not ours (we flag timeouts): the kernel's OOM killer
        return "memory", code, blocked
    if sig:
        return "crash", code, blocked
    return ("error" if failed else "ok"), code, blocked


def run(argv: list[str], *, scratch: Path, timeout_s: float = 5, memory_mb: int = 512,
        stdin: bytes | None = None, env: dict | None = None, read_paths: Iterable[Path] = ()) -> SandboxResult:
    """Run argv contained (see the module docstring) and classify how it ended."""
    iso = isolation()
    scratch = Path(scratch).resolve()
    _prepare_scratch(scratch, iso)
    uid, gid = _nobody()
    child_env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(scratch), "TMPDIR": str(scratch),
                 "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    child_env.update({str(k): str(v) for k, v in (env or {}).items()})
    status_read, status_write = os.pipe()
    config = {
        "argv": [str(a) for a in argv], "env": child_env, "scratch": str(scratch),
        "read_paths": [str(Path(p).resolve()) for p in read_paths],
        "tmp_dirs": [d for d in TMP_DIRS if os.path.isdir(d)] if iso.namespaces else [],
        "mounts": iso.namespaces, "drop": [uid, gid] if iso.drop_to_nobody else None,
        "memory_bytes": int(memory_mb) << 20 if memory_mb else 0,
        "cpu_seconds": int(math.ceil(timeout_s)) + 1, "file_size": FILE_SIZE_LIMIT_BYTES,
        "open_files": OPEN_FILES_LIMIT, "processes": PROCESS_LIMIT, "status_fd": status_write,
    }
    command = [*iso.prefix, sys.executable, "-I", "-S", str(EXEC_HELPER), json.dumps(config)]
    start = time.monotonic()
    try:
        proc = subprocess.Popen(command, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=(status_write,),
                                start_new_session=True, close_fds=True, cwd="/")
    finally:
        os.close(status_write)
    out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
    outputs = {out_fd: bytearray(), err_fd: bytearray(), status_read: bytearray()}
    sel = selectors.DefaultSelector()
    for fd in outputs:
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ)
    pending_in = memoryview(stdin or b"")
    stdin_fd = proc.stdin.fileno() if proc.stdin else -1
    if stdin is not None:
        os.set_blocking(proc.stdin.fileno(), False)
        if pending_in:
            sel.register(proc.stdin.fileno(), selectors.EVENT_WRITE)
        else:
            proc.stdin.close()
    deadline = start + timeout_s
    timed_out = False
    helper_done_at = None

    def kill_group():
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    while sel.get_map():
        now = time.monotonic()
        if now >= deadline and helper_done_at is None:
            timed_out = True
            kill_group()
            deadline = now + 2   # drain what is left, then stop waiting
            helper_done_at = now
        elif helper_done_at is not None and now >= deadline:
            break
        for key, _ in sel.select(timeout=max(0.0, deadline - now)):
            fd = key.fd
            if fd == stdin_fd:
                try:
                    written = os.write(fd, pending_in[:65536])
                    pending_in = pending_in[written:]
                except (BrokenPipeError, BlockingIOError) as exc:
                    if isinstance(exc, BlockingIOError):
                        continue
                    pending_in = pending_in[:0]
                if not pending_in:
                    sel.unregister(fd)
                    proc.stdin.close()
                continue
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                continue
            if not chunk:
                sel.unregister(fd)
                if fd == status_read and helper_done_at is None:
                    # the helper ended: whatever the program left running goes too
                    kill_group()
                    helper_done_at = time.monotonic()
                    deadline = min(deadline, helper_done_at + 2)
                continue
            buf = outputs[fd]
            if len(buf) < OUTPUT_CAP_BYTES:
                buf += chunk[:OUTPUT_CAP_BYTES - len(buf)]
    kill_group()
    sel.close()
    for stream in (proc.stdout, proc.stderr, proc.stdin):
        if stream and not stream.closed:
            stream.close()
    os.close(status_read)
    proc.wait()
    seconds = time.monotonic() - start
    stdout, stderr = bytes(outputs[out_fd]), bytes(outputs[err_fd])
    try:
        exit_info = json.loads(bytes(outputs[status_read]).decode() or "{}")
    except ValueError:
        exit_info = {}
    notes = list(iso.notes)
    if "setup_error" in exit_info:
        notes.append("setup: " + exit_info["setup_error"])
    status, returncode, blocked = _classify(timed_out, exit_info, stdout, stderr)
    return SandboxResult(status, returncode, stdout, stderr, round(seconds, 4), blocked, notes)
