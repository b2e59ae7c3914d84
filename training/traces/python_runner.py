"""Runs one trace job INSIDE the sandbox: a docstring's doctest examples, tracing one function.

Job (JSON on stdin): {"path": the module file, "module": its dotted name, "sys_path": [import roots,
first goes first], "sys_path_after": [fallback roots, after the interpreter's own], "qualname",
"first_line" (co_firstlineno), "line_count", "examples": [{"source"}...], "scratch",
"max_calls_per_example", "max_calls", "path_cap"}.

Before anything else runs it installs audit-hook guards: socket connect/bind/sendto, subprocess,
os.system/exec*/spawn*/posix_spawn/fork, and writes (open for writing, remove, rename, mkdir, ...)
outside the scratch dir raise `Blocked`, and a `sandbox.BLOCKED_PREFIX` line is printed so the
sandbox reports the run as "blocked". Then the module is imported and the examples run in order with
doctest's semantics (one globals dict copied from the module's, each example compiled in "single"
mode, an exception ends that example only). `sys.settrace` follows only frames whose code object is
the target's (matched by file, qualified name and first line).

Stdout (JSON lines, written to a private copy of fd 1; the examples' own output goes nowhere):
  {"event": "import", "status": "ok"} or {"event": "import", "status": "import_error", "reason": ...}
  {"event": "example", "example": i}                    before example i runs
  {"event": "call", "example": i, "call": k, "status": "ok"|"exception"|"memory"|"blocked",
   "executed": [...], "path": [...], "values": [{"line", "name", "type", "category"}], "seconds": s}
  {"event": "done", "calls": n, "examples": m, "blocked_at_import": guard refusals while importing
   (tolerated: some packages probe sockets or run `ldconfig` at import), "blocked_example": the
   example during which a guard refused something (the examples after it are not run), or null}
Line numbers are 0-based offsets from `first_line`.
"""
import decimal
import functools
import io
import json
import numbers
import os
import sys
import time
import types

BLOCKED_PREFIX = "@@astrolabe-sandbox-blocked "   # sandbox.BLOCKED_PREFIX; this file imports nothing of ours
LARGE = 2 ** 31
CO_GENERATOR_LIKE = 0x20 | 0x80 | 0x200   # generator, coroutine, async generator

_out_fd = None
_scratch = "/"
_tracing_is_ours = False
_blocked_events = []


class Blocked(PermissionError):
    """An action the trace sandbox refuses."""


def emit(obj) -> None:
    os.write(_out_fd, (json.dumps(obj, separators=(",", ":")) + "\n").encode())


# ------------------------------------------------------------------------------------- guards

_PROCESS_EVENTS = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
                   "os.forkpty", "os.startfile", "pty.spawn"}
_NETWORK_EVENTS = {"socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"}
# event -> indexes of its path arguments
_PATH_WRITE_EVENTS = {"os.remove": (0,), "os.rmdir": (0,), "os.mkdir": (0,), "os.rename": (0, 1),
                      "os.chmod": (0,), "os.chown": (0,), "os.truncate": (0,), "os.utime": (0,),
                      "shutil.rmtree": (0,), "os.symlink": (0, 1), "os.link": (0, 1), "os.chflags": (0,),
                      "os.lchown": (0,), "os.mkfifo": (0,), "os.mknod": (0,), "os.removexattr": (0,),
                      "os.setxattr": (0,)}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _outside_scratch(path) -> bool:
    if path is None or isinstance(path, int):
        return False   # an open descriptor: it was checked when it was opened
    if path in ("/dev/null", b"/dev/null"):
        return False
    try:
        path = os.fsdecode(os.fspath(path))
    except TypeError:
        return True
    # abspath/normpath only: anything that hits the file system would raise audit events in here
    full = os.path.normpath(os.path.join(os.getcwd(), path)) if not os.path.isabs(path) else os.path.normpath(path)
    return not (full == _scratch or full.startswith(_scratch + "/"))


def _block(what: str):
    _blocked_events.append(what)
    emit_blocked = BLOCKED_PREFIX + what.replace("\n", " ")[:300] + "\n"
    os.write(_out_fd, emit_blocked.encode())
    raise Blocked("blocked by the trace sandbox: " + what)


def audit_guard(event, args):
    if event in _PROCESS_EVENTS:
        _block(event)
    elif event in _NETWORK_EVENTS:
        _block("%s %r" % (event, args[1] if len(args) > 1 else ""))
    elif event == "open":
        path, mode, flags = (tuple(args) + (None, None, 0))[:3]
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool((flags or 0) & _WRITE_FLAGS)
        if writing and _outside_scratch(path):
            _block("open %r for writing" % (path,))
    elif event in _PATH_WRITE_EVENTS:
        if event in ("os.symlink", "os.link") or any(_outside_scratch(args[i]) for i in _PATH_WRITE_EVENTS[event]
                                                     if i < len(args)):
            _block("%s %r" % (event, args[0] if args else ""))
    elif event in ("sys.settrace", "sys.setprofile") and not _tracing_is_ours:
        raise RuntimeError("the trace runner owns sys.settrace")


# --------------------------------------------------------------------------------- values

_FUNCTION_TYPES = (types.FunctionType, types.BuiltinFunctionType, types.MethodType, types.MethodWrapperType,
                   types.WrapperDescriptorType, types.MethodDescriptorType, types.ClassMethodDescriptorType,
                   functools.partial)
_SIZED_TYPES = (("str", str), ("bytes", (bytes, bytearray, memoryview)), ("list", list), ("tuple", tuple),
                ("dict", dict), ("set", (set, frozenset)))


def quantize(value):
    """(type, category) of a value, TRACED-style (vocabularies in categories.json).

    Numbers beyond int/float count by what they are: any Integral (numpy, sympy integers) is "int",
    any other real number (Fraction, Decimal, numpy floats) "float"; both get sign categories.
    Only type checks run here, never the value's own methods beyond len() and comparisons of numbers.
    """
    if value is None:
        return "none", "none"
    if value is True or value is False:
        return "bool", "true" if value else "false"
    try:
        if isinstance(value, (int, numbers.Integral)) and not isinstance(value, bool):
            return "int", _sign(value)
        if isinstance(value, (float, numbers.Real, decimal.Decimal)):
            return "float", _sign(value)
        for kind, kinds in _SIZED_TYPES:
            if isinstance(value, kinds):
                return kind, "empty" if len(value) == 0 else "non_empty"
    except Exception:  # noqa: BLE001 - a user subclass with a broken __len__ or comparison
        return "object", "object"
    if isinstance(value, _FUNCTION_TYPES):
        return "function", "function"
    return "object", "object"


def _sign(x) -> str:
    if x != x:
        return "nan"
    if x == 0:
        return "zero"
    if x >= LARGE:
        return "large_positive"
    if x <= -LARGE:
        return "large_negative"
    return "positive" if x > 0 else "negative"


# --------------------------------------------------------------------------------- tracing

class Call:
    __slots__ = ("example", "index", "started", "path", "executed", "values", "prev_line", "seen",
                 "exception", "memory", "blocks_before", "path_cap", "generator")

    def __init__(self, example, index, path_cap, generator):
        self.example, self.index, self.path_cap, self.generator = example, index, path_cap, generator
        self.started = time.perf_counter()
        self.path, self.executed, self.values, self.seen = [], set(), {}, set()
        self.prev_line = None
        self.exception = self.memory = False
        self.blocks_before = len(_blocked_events)   # a block after this means one during the call

    def snapshot(self, frame):
        """The locals after the line that just ran, filed under that line."""
        if self.prev_line is None:
            return
        current = frame.f_locals
        for name, value in current.items():
            self.values[(self.prev_line, name)] = quantize(value)
            self.seen.add(name)
        for name in self.seen.difference(current):
            self.values[(self.prev_line, name)] = ("undefined", "undefined")

    def record(self):
        blocked = len(_blocked_events) > self.blocks_before
        status = "blocked" if blocked else "memory" if self.memory else "exception" if self.exception else "ok"
        return {"event": "call", "example": self.example, "call": self.index, "status": status,
                "executed": sorted(self.executed), "path": self.path,
                "values": [{"line": line, "name": name, "type": t, "category": c}
                           for (line, name), (t, c) in sorted(self.values.items())],
                "seconds": round(time.perf_counter() - self.started, 6)}


class Tracer:
    def __init__(self, job):
        self.path = os.path.realpath(job["path"])
        self.qualname, self.first_line = job["qualname"], job["first_line"]
        self.line_count = job.get("line_count") or 10 ** 6
        self.max_per_example = job.get("max_calls_per_example", 8)
        self.max_calls = job.get("max_calls", 32)
        self.path_cap = job.get("path_cap", 512)
        self.codes = set()
        self.others = set()
        self.calls = {}              # frame -> Call, while the frame lives
        self.example = 0
        self.in_example = 0
        self.total = 0

    def is_target(self, code) -> bool:
        if code in self.codes:
            return True
        if code in self.others:
            return False
        hit = (code.co_firstlineno == self.first_line and code.co_qualname == self.qualname
               and os.path.realpath(code.co_filename) == self.path)
        (self.codes if hit else self.others).add(code)
        return hit

    def global_trace(self, frame, event, arg):
        if event != "call" or not self.is_target(frame.f_code):
            return None
        call = self.calls.get(frame)
        if call is None:
            if self.in_example >= self.max_per_example or self.total >= self.max_calls:
                return None
            call = Call(self.example, self.in_example, self.path_cap,
                        bool(frame.f_code.co_flags & CO_GENERATOR_LIKE))
            self.in_example += 1
            self.total += 1
            self.calls[frame] = call
        return self.local_trace

    def local_trace(self, frame, event, arg):
        call = self.calls.get(frame)
        if call is None:
            return None
        if event == "line":
            call.snapshot(frame)
            offset = frame.f_lineno - self.first_line
            if 0 <= offset < self.line_count:
                call.executed.add(offset)
                if len(call.path) < call.path_cap:
                    call.path.append(offset)
                call.prev_line = offset
            call.exception = call.memory = False   # still running: an earlier exception was handled
        elif event == "exception":
            call.exception = True
            call.memory = issubclass(arg[0], MemoryError)
        elif event == "return":
            call.snapshot(frame)
            if not call.generator:
                del self.calls[frame]
                emit(call.record())
            # a generator's frame comes back on the next `next()`: its call ends with the example
        return self.local_trace

    def end_example(self):
        for frame, call in list(self.calls.items()):
            emit(call.record())
        self.calls.clear()
        self.example += 1
        self.in_example = 0


def set_trace(function) -> None:
    global _tracing_is_ours
    _tracing_is_ours = True
    try:
        sys.settrace(function)
    finally:
        _tracing_is_ours = False


# The names the packages' own doctest setups predefine (numpy's and pandas' conftest, for instance).
DOCTEST_ALIASES = {"np": "numpy", "pd": "pandas", "nx": "networkx", "xr": "xarray", "da": "dask.array",
                   "dd": "dask.dataframe"}


def provide_aliases(globs, examples) -> None:
    import importlib
    import re
    text = "".join(e["source"] for e in examples)
    for alias, module in DOCTEST_ALIASES.items():
        if alias not in globs and re.search(r"\b%s\." % alias, text):
            try:
                globs[alias] = importlib.import_module(module)
            except Exception:  # noqa: BLE001 - the examples then fail as doctest would
                pass


def run_job(job) -> None:
    import importlib
    tracer = Tracer(job)
    try:
        module = importlib.import_module(job["module"])
    except BaseException as exc:  # noqa: BLE001 - any failure to import is counted by its kind
        emit({"event": "import", "status": "import_error", "reason": "%s: %s" % (type(exc).__name__, str(exc)[:200])})
        return
    emit({"event": "import", "status": "ok"})
    globs = module.__dict__.copy()   # doctest: the examples share one copy of the module's globals
    provide_aliases(globs, job["examples"])
    sink = io.StringIO()
    real_stdout, real_stderr = sys.stdout, sys.stderr
    blocked_example = None
    blocks_at_import = len(_blocked_events)   # probes at import (urllib3 binds ::1) are refused and tolerated
    for index, example in enumerate(job["examples"]):
        if len(_blocked_events) > blocks_at_import:
            blocked_example = index - 1
            break   # an example tried something refused: the rest of this docstring is not worth running
        emit({"event": "example", "example": index})
        try:
            code = compile(example["source"], "<doctest %s[%d]>" % (job["qualname"], index), "single",
                           dont_inherit=True)
        except SyntaxError:
            tracer.end_example()
            continue
        sys.stdout = sys.stderr = sink
        set_trace(tracer.global_trace)
        try:
            exec(code, globs)
        except BaseException:  # noqa: BLE001 - doctest semantics: the example failed, go on
            pass
        finally:
            set_trace(None)
            sys.stdout, sys.stderr = real_stdout, real_stderr
        if sink.tell() > 1 << 20:
            sink.seek(0)
            sink.truncate()
        tracer.end_example()
    if blocked_example is None and len(_blocked_events) > blocks_at_import:
        blocked_example = len(job["examples"]) - 1
    emit({"event": "done", "calls": tracer.total, "examples": len(job["examples"]),
          "blocked_at_import": blocks_at_import, "blocked_example": blocked_example})


def main() -> None:
    global _out_fd, _scratch
    _out_fd = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)   # what the examples print to fd 1 directly cannot corrupt the JSON lines
    os.close(devnull)
    sys.dont_write_bytecode = True
    job = json.loads(sys.stdin.read())
    _scratch = os.path.normpath(os.path.realpath(job.get("scratch") or os.getcwd()))
    sys.path[:0] = job.get("sys_path", [])
    sys.path.extend(job.get("sys_path_after", []))
    sys.addaudithook(audit_guard)
    sys.setrecursionlimit(min(sys.getrecursionlimit(), 2000))
    run_job(job)


if __name__ == "__main__":
    main()
