"""JavaScript execution traces (issue 8): JSDoc `@example`s of the corpus's npm packages, run sandboxed.

    nice -n 19 /usr/bin/python3 training/traces/collect.py --languages javascript [--limit N] [--workers 2]

`npm run build` first: `dist/traceInstrument.js` lists the jobs (per documented function: the module with
the function instrumented by tree-sitter rewriting, and one harness per example; training/traces/js/) and
`dist/traceRuntime.mjs` is the runtime each run loads. Each example runs in its own `sandbox.run` of
`node`, with node's permission model as an extra layer (reads: the scratch folder and the package; writes:
the scratch folder; child processes and worker threads refused). The scratch folder holds `harness.mjs`,
`runtime.mjs` and `pkg/`, a mirror of the package: the folders on the way to the target file are real,
everything else is a symlink into the corpus, and the target file is the instrumented copy; node runs with
--preserve-symlinks, so the package's own imports of the target (lodash's `_`) reach the copy too.

Records go to `<out>/traces.jsonl` in the shared format (collect.py's), ids
`javascript:<package>:<file>:<name>:<example>:<call>`; `<out>/js-jobs.jsonl` lists the examples run
(resumable, like collect.py's jobs.jsonl). A run that times out, runs out of memory or crashes before
reporting gives one record with that status and no trace; an example that never calls its function
gives none and is counted as `no_call`.
"""
from __future__ import annotations

import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Callable, Iterator

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))
import sandbox  # noqa: E402
from trace_output import JobTally, TraceOutput, run_jobs  # noqa: E402

TOOL = REPO / "dist" / "traceInstrument.js"
RUNTIME = REPO / "dist" / "traceRuntime.mjs"
NODE = shutil.which("node") or "/usr/bin/node"
CATEGORIES = json.loads((HERE / "categories.json").read_text())
TYPES, VALUE_CATEGORIES = set(CATEGORIES["types"]), set(CATEGORIES["categories"])
PATH_CAP = CATEGORIES["path_cap"]
TRACE_MARKER = "@@astrolabe-trace "
MAX_CALLS_PER_EXAMPLE = 8
# node needs threads (V8's platform, libuv), which sandbox.run's one-process limit refuses (node aborts at
# start; the limit counts per uid across all sandboxes, hence the margin; the permission model still refuses
# child processes), and loads an ES-module graph with many files open at once (lodash-es: 600 modules).
# (keyword of sandbox.run, its module-level default, value for node)
NODE_LIMITS = (("processes", "PROCESS_LIMIT", 32), ("open_files", "OPEN_FILES_LIMIT", 1024))
NODE_HEAP_MB = 512
NODE_ENV = {"UV_THREADPOOL_SIZE": "1", "TZ": "UTC", "NODE_NO_WARNINGS": "1"}


def npm_packages(corpus: Path, packages: str | None = None) -> list[dict]:
    """The manifest's npm rows that were extracted (`path` is the package's folder)."""
    rows = []
    with (corpus / "manifest.jsonl").open() as f:
        for line in f:
            row = json.loads(line)
            if row.get("source") != "npm" or not row.get("ok") or not Path(row["path"]).is_dir():
                continue
            if packages and not re.search(packages, row["package"]):
                continue
            rows.append(row)
    return rows


def runnable_package(corpus: Path, row: dict, packages_dir: Path | None) -> Path:
    """The whole package the examples run against: the corpus keeps a size-capped part of some packages
    (date-fns stops at `l...`, without the `toDate.js` every function imports), so the npm tarball the
    corpus was cut from (`downloads/npm/`) is extracted once under `packages_dir`; the corpus folder
    itself when there is no tarball."""
    folder = Path(row["path"])
    npm_root = corpus / "src" / "npm"
    try:
        top = folder.relative_to(npm_root).parts[0]
    except (ValueError, IndexError):
        return folder
    tarball = corpus / "downloads" / "npm" / ("%s-%s.tgz" % (row["package"].lstrip("@").replace("/", "-"), row.get("version", "")))
    if packages_dir is None or not tarball.is_file():
        return folder
    extracted = packages_dir / top
    marker = extracted / ".extracted"
    if not (marker.exists() and marker.read_text() == tarball.name):
        shutil.rmtree(extracted, ignore_errors=True)
        extract_tarball(tarball, extracted)
        marker.write_text(tarball.name)
    return extracted / folder.relative_to(npm_root / top)


def extract_tarball(tarball: Path, destination: Path) -> None:
    """Regular files only, first path component (`package/`) stripped, nothing outside `destination`;
    then relative ES-module specifiers made loadable by node (`with_extensions`)."""
    with tarfile.open(tarball) as archive:
        for member in archive:
            parts = member.name.lstrip("./").split("/", 1)
            if not member.isfile() or len(parts) < 2 or ".." in parts[1].split("/") or parts[1].startswith("/"):
                continue
            target = destination / parts[1]
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.extractfile(member) as source, open(target, "wb") as sink:
                shutil.copyfileobj(source, sink)
    for path in destination.rglob("*"):
        if path.suffix in (".js", ".mjs") and path.is_file():
            text = path.read_text(encoding="utf-8", errors="surrogateescape")
            fixed = with_extensions(text, path.parent)
            if fixed != text:
                path.write_text(fixed, encoding="utf-8", errors="surrogateescape")


# `from './x'`, `import './x'`, `import('./x')`, `export ... from './x'`
RELATIVE_SPECIFIER = re.compile(r"""((?:\bfrom|\bimport)\s*\(?\s*)(['"])(\.{1,2}/[^'"\n]*)\2""")


def with_extensions(text: str, folder: Path) -> str:
    """Extensionless relative specifiers (`from './Apply'`, fine for bundlers, which fp-ts's es6/ build
    expects) get the extension of the file they name, which node's ES-module loader requires."""
    if "import" not in text and "export" not in text:
        return text

    def fix(match: re.Match) -> str:
        specifier = match.group(3)
        if re.search(r"\.[cm]?js$|\.json$", specifier):
            return match.group(0)
        for suffix in (".js", ".mjs", "/index.js", "/index.mjs"):
            if (folder / (specifier + suffix)).is_file():
                return "%s%s%s%s%s" % (match.group(1), match.group(2), specifier, suffix, match.group(2))
        return match.group(0)
    return RELATIVE_SPECIFIER.sub(fix, text)


def javascript_jobs(corpus: Path, *, packages: str | None = None, packages_dir: Path | None = None, tool: Path = TOOL,
                    log: Callable[[str], None] = lambda message: None) -> Iterator[dict]:
    """One job per documented function, round-robin across packages: the job builder's JSON plus
    `split` and `package_dir` (where it runs: `runnable_package`, extracted under `packages_dir`).
    The builder's summary of what it left out is logged per package."""
    per_package: list[list[dict]] = []
    for row in npm_packages(corpus, packages):
        run_dir = runnable_package(corpus, row, packages_dir)
        done = subprocess.run([NODE, str(tool), "jobs", "--package", row["package"], "--dir", row["path"],
                               "--run-dir", str(run_dir), "--out", "-"], capture_output=True, text=True)
        if done.returncode != 0:
            log("javascript: %s: job builder failed: %s" % (row["package"], done.stderr.strip()[-300:]))
            continue
        jobs, seen = [], set()
        for line in done.stdout.split("\n"):  # not splitlines(): Node's JSON keeps U+2028 raw
            if not line.strip():
                continue
            item = json.loads(line)
            if "summary" in item:
                if item["summary"]["functions"]:
                    log("javascript: %s: %d functions, %d examples; left out %s" % (
                        row["package"], item["summary"]["functions"], item["summary"]["examples"], item["summary"]["skipped"]))
                continue
            if (item["file"], item["name"]) in seen:   # a redefinition: ids would collide
                continue
            seen.add((item["file"], item["name"]))
            jobs.append({**item, "split": row["split"], "package_dir": str(run_dir.resolve())})
        if jobs:
            per_package.append(jobs)
    for i in range(max((len(p) for p in per_package), default=0)):
        yield from (p[i] for p in per_package if i < len(p))


def build_mirror(package_dir: Path, target_file: str, module: str, mirror: Path) -> None:
    """`mirror` stands for the package: real folders down to the target, symlinks for the rest, the target instrumented."""
    source, destination = package_dir, mirror
    parts = target_file.split("/")
    for depth, part in enumerate(parts):
        destination.mkdir(parents=True, exist_ok=True)
        with os.scandir(source) as entries:
            for entry in entries:
                if entry.name != part:
                    os.symlink(entry.path, destination / entry.name)
        if depth == len(parts) - 1:
            (destination / part).write_text(with_extensions(module, source), encoding="utf-8")
        source, destination = source / part, destination / part


def node_argv(scratch: Path, package_dir: Path) -> list[str]:
    return [NODE, "--preserve-symlinks", "--experimental-permission",
            "--allow-fs-read=%s" % scratch, "--allow-fs-read=%s" % package_dir, "--allow-fs-write=%s" % scratch,
            "--v8-pool-size=1", "--max-old-space-size=%d" % NODE_HEAP_MB, "harness.mjs"]


def record_for(job: dict, example: dict, call: int, status: str, trace: dict | None, seconds: float) -> dict:
    trace = trace or {}
    line_count = job["line_count"]
    within = lambda offsets: [o for o in offsets if isinstance(o, int) and 0 <= o < line_count]  # noqa: E731
    values = [v for v in trace.get("values", []) if v.get("type") in TYPES and v.get("category") in VALUE_CATEGORIES
              and 0 <= v.get("line", -1) < line_count]
    return {"id": "javascript:%s:%s:%s:%d:%d" % (job["package"], job["file"], job["name"], example["index"], call),
            "language": "javascript", "package": job["package"], "split": job["split"], "file": job["file"],
            "name": job["name"], "start_line": job["start_line"], "source": job["source"], "input": example["input"],
            "status": status, "line_count": line_count, "executed": sorted(set(within(trace.get("executed", [])))),
            "path": within(trace.get("path", []))[:PATH_CAP], "values": values, "seconds": round(seconds, 4)}


def parse_report(stdout: bytes) -> dict | None:
    report = None
    for line in stdout.decode("utf-8", "replace").split("\n"):
        if line.startswith(TRACE_MARKER):
            try:
                report = json.loads(line[len(TRACE_MARKER):])
            except ValueError:
                pass
    return report


def run_javascript_job(job: dict, example: dict, *, scratch_parent: Path, timeout_s: float = 5,
                       memory_mb: int = 0, runtime: Path = RUNTIME) -> tuple[list[dict], dict]:
    """Run one example of a job sandboxed: its records and a summary (status, reason, seconds)."""
    scratch_parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="js-", dir=scratch_parent)).resolve()
    package_dir = Path(job["package_dir"])
    try:
        shutil.copyfile(runtime, scratch / "runtime.mjs")
        (scratch / "harness.mjs").write_text(example["harness"], encoding="utf-8")
        build_mirror(package_dir, job["file"], job["module"], scratch / "pkg")
        env = {**NODE_ENV, "ASTROLABE_TRACE_BUDGET_MS": str(int(max(0.5, timeout_s - 1) * 1000)),
               "ASTROLABE_TRACE_MAX_CALLS": str(MAX_CALLS_PER_EXAMPLE)}
        result = run_node(node_argv(scratch, package_dir), scratch=scratch, timeout_s=timeout_s, memory_mb=memory_mb,
                          env=env, read_paths=[package_dir])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report = parse_report(result.stdout)
    records: list[dict] = []
    reason = None
    if report is not None:
        for call in report["calls"]:
            records.append(record_for(job, example, call["index"], call["status"], call, result.seconds))
        if report.get("timed_out") and not any(r["status"] == "timeout" for r in records):
            records.append(record_for(job, example, len(records), "timeout", None, result.seconds))
        if (report.get("blocked") or result.status == "blocked") and not any(r["status"] == "blocked" for r in records):
            records.append(record_for(job, example, len(records), "blocked", None, result.seconds))
        reason = report.get("import_error") or report.get("example_error")
        status = "blocked" if report.get("blocked") else "timeout" if report.get("timed_out") else "ok"
        if status == "ok" and not records:
            status = "import_error" if report.get("import_error") else "no_call"
    else:
        # Ended before reporting: counted by how it ended (a hang, memory, a crash of node or of the harness).
        status = {"ok": "crash", "error": "crash"}.get(result.status, result.status)
        reason = result.stderr.decode("utf-8", "replace").strip()[-300:] or None
        if status == "crash" and reason and re.search(r"SyntaxError|ERR_MODULE_NOT_FOUND|ERR_REQUIRE|Cannot find module", reason):
            status = "import_error"   # the package itself does not load here: nothing of the function ran
        else:
            records.append(record_for(job, example, 0, status, None, result.seconds))
    summary = {"key": "%s:%s:%s:%d" % (job["package"], job["file"], job["name"], example["index"]),
               "package": job["package"], "status": status, "reason": reason, "records": len(records),
               "seconds": result.seconds, "statuses": dict(Counter(r["status"] for r in records))}
    return records, summary


_limit_lock = threading.Lock()
_limit_users = 0
_limit_saved: dict[str, int] = {}


def run_node(argv: list[str], **kwargs) -> sandbox.SandboxResult:
    """sandbox.run with room for node: its keyword arguments for the limits when it has them, else its
    module-level limits raised while any node run is in flight (restored after the last one)."""
    global _limit_users
    accepted = inspect.signature(sandbox.run).parameters
    if all(keyword in accepted for keyword, _, _ in NODE_LIMITS):
        return sandbox.run(argv, **kwargs, **{keyword: value for keyword, _, value in NODE_LIMITS})
    with _limit_lock:
        if _limit_users == 0:
            for _, name, value in NODE_LIMITS:
                _limit_saved[name] = getattr(sandbox, name)
                setattr(sandbox, name, max(_limit_saved[name], value))
        _limit_users += 1
    try:
        return sandbox.run(argv, **kwargs)
    finally:
        with _limit_lock:
            _limit_users -= 1
            if _limit_users == 0:
                for name, value in _limit_saved.items():
                    setattr(sandbox, name, value)


def collect(corpus: Path, out: Path, limit: int | None = None, workers: int = 2, timeout_s: float = 5,
            packages: str | None = None, log: Callable[[str], None] | None = None) -> dict:
    """Runs every example not run before (at most `limit`); returns counts for collect.py's report."""
    log = log or (lambda message: print(time.strftime("%H:%M:%S ") + message, file=sys.stderr, flush=True))
    if not TOOL.exists() or not RUNTIME.exists():
        log("javascript: %s or %s missing: run `npm run build` first" % (TOOL, RUNTIME))
        return {"error": "not built"}
    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    output = TraceOutput(out, "js-jobs.jsonl", "javascript")
    jobs = list(javascript_jobs(corpus, packages=packages, packages_dir=out / "npm", log=log))
    pending = [(job, example) for job in jobs for example in job["examples"]
               if "%s:%s:%s:%d" % (job["package"], job["file"], job["name"], example["index"]) not in output.done]
    total = sum(len(job["examples"]) for job in jobs)
    log("javascript: %d functions, %d examples, %d run before, %d to run" % (len(jobs), total, total - len(pending), len(pending)))
    if limit:
        pending = pending[:limit]
    scratch_parent = out / "scratch-js"
    tally = JobTally(output, "javascript", len(pending))
    try:
        def done(result) -> None:
            tally.add(result)
            if tally.due(100):
                log("javascript: %d/%d examples (%.2f/s) | runs %s | records %s" % (tally.finished, tally.total, tally.rate, dict(tally.jobs), tally.records))

        run_jobs(pending, lambda item: run_javascript_job(*item, scratch_parent=scratch_parent, timeout_s=timeout_s), workers, done)
    finally:
        shutil.rmtree(scratch_parent, ignore_errors=True)
    return {"functions": len(jobs), "examples": total, "examples_run": tally.finished, "runs_by_status": dict(tally.jobs),
            "records_by_status": tally.records.as_dict().get("javascript", {}), "seconds": round(time.monotonic() - started, 1)}

