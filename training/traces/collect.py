"""Collect execution traces from the corpus into `<out>/traces.jsonl` (training/README.md, issue 8).

    nice -n 19 /usr/bin/python3 training/traces/collect.py --corpus $DATA/corpus --out $DATA/traces \
        [--languages python[,javascript]] [--limit N] [--workers 2] [--timeout-s 5] [--memory-mb 1024]

Each job (one docstring owner and its examples) runs `python_runner.py` in its own `sandbox.run`.
Resumable: `jobs.jsonl` lists finished jobs (written after their records, both fsynced), so a
rerun skips them and a record id is never written twice. At the end `report.json` counts jobs,
executions per language and status, functions traced, import errors by reason, and wall time
(every invocation's, from `runs.jsonl`).

`--languages javascript` calls `collect(corpus, out, limit=..., workers=..., timeout_s=...)` of
`training/traces/js_jobs.py` (the JavaScript side), which appends its own records to
`<out>/traces.jsonl`; without that file the language is skipped with a message.
"""
from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import python_examples  # noqa: E402
import sandbox  # noqa: E402
from trace_output import JobTally, TraceOutput, run_jobs  # noqa: E402

RUNNER = HERE / "python_runner.py"
CATEGORIES = json.loads((HERE / "categories.json").read_text())
TRAINABLE = set(CATEGORIES["trainable_statuses"])
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
RUNNER_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "NUMEXPR_MAX_THREADS": "1", "MPLBACKEND": "Agg"}
# Imports the corpus cannot satisfy (packages Debian splits out, not in the package list), most
# often missing in a first run; installed from an offline wheel folder with --wheels, without their
# dependencies, and put last on sys.path so the corpus's own versions win.
DEPENDENCY_WHEELS = ["pytz", "markupsafe", "amqp", "incremental", "webencodings", "regex", "isodate",
                     "stack_data", "executing", "asttokens", "pure_eval", "fastjsonschema", "cloudpickle",
                     "pyerfa", "texttable", "cycler", "sniffio", "iniconfig", "mypy_extensions", "ptyprocess",
                     "asgiref", "tzdata"]
MAX_CALLS_PER_EXAMPLE = 8
MAX_CALLS_PER_JOB = 32


def python_jobs(corpus: Path, out: Path, packages: str | None, log,
                whole_packages: bool = False) -> tuple[list[dict], list[str]]:
    """Every Python job, round-robin across packages (a partial run still covers them all)."""
    per_package: list[list[python_examples.Job]] = []
    roots: list[str] = []
    for row in python_examples.load_manifest(corpus):
        if packages and not re.search(packages, row["package"]):
            continue
        site = python_examples.prepare_site(corpus, out, row)
        if site is None:
            log("%s: no importable tree (no cached .deb)" % row["package"])
            continue
        if site.package != python_examples.STDLIB:
            roots.append(str(site.import_root))
        seen: set[tuple[str, str]] = set()
        jobs = []
        for job in python_examples.harvest(site, whole_packages):
            if (job.file, job.qualname) in seen:   # a redefinition (property setter...): ids would collide
                continue
            seen.add((job.file, job.qualname))
            jobs.append(job)
        if jobs:
            per_package.append(jobs)
    ordered = []
    for i in range(max((len(p) for p in per_package), default=0)):
        ordered.extend(p[i].to_json() for p in per_package if i < len(p))
    return ordered, roots


# Debian packages apt's cache holds that the corpus lacks, extracted as fallbacks for imports;
# the big ones nothing in the corpus needs are left out.
APT_DEPENDENCY_SKIP = re.compile(r"^python3-(all|all-dev|torch|vtk9|gdal|onnx|tk|cups|cupshelpers|smbc|mpi4py|"
                                 r"gi-cairo|cairo|selenium|pil\.imagetk)_")


def extract_apt_dependencies(out: Path, corpus_packages: set[str], log) -> Path | None:
    archives = python_examples.APT_ARCHIVES
    debs = sorted(d for d in archives.glob("python3-*.deb") if not APT_DEPENDENCY_SKIP.match(d.name)
                  and d.name.split("_")[0] not in corpus_packages and not d.name.split("_")[0].endswith("-lib"))
    if not debs:
        return None
    target = out / "deps-deb"
    marker = target / ".prepared"
    wanted = "\n".join(d.name for d in debs)
    if not (marker.exists() and marker.read_text().strip() == wanted):
        import subprocess
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for deb in debs:
            subprocess.run(["dpkg-deb", "-x", str(deb), str(target)], check=True)
        subprocess.run([PYTHON, "-m", "compileall", "-q", str(target)], capture_output=True)
        marker.write_text(wanted + "\n")
        log("dependencies from apt's cache: %d packages in %s" % (len(debs), target))
    dist = target / "usr" / "lib" / "python3" / "dist-packages"
    return dist if dist.is_dir() else None


def install_dependencies(out: Path, wheels: Path, log) -> Path | None:
    deps = out / "deps"
    marker = deps / ".installed"
    wanted = " ".join(DEPENDENCY_WHEELS)
    if marker.exists() and marker.read_text().strip() == wanted:
        return deps
    if not wheels.is_dir():
        return deps if deps.is_dir() else None
    import subprocess
    shutil.rmtree(deps, ignore_errors=True)
    for name in DEPENDENCY_WHEELS:   # one by one: a wheel missing from the folder skips only itself
        done = subprocess.run([PYTHON, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--find-links",
                               str(wheels), "--target", str(deps), name], capture_output=True, text=True)
        if done.returncode != 0:
            log("dependency %s not installed: %s" % (name, done.stderr.strip().splitlines()[-1:]))
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(deps)], capture_output=True)
    marker.write_text(wanted + "\n")
    return deps


def runner_input(job: dict, roots: list[str], scratch: Path) -> dict:
    own = job["import_root"]
    return {**job, "sys_path": [] if job["package"] == python_examples.STDLIB else [own],
            "sys_path_after": [r for r in roots if r != own], "scratch": str(scratch),
            "line_count": len(job["source"].splitlines()), "max_calls_per_example": MAX_CALLS_PER_EXAMPLE,
            "max_calls": MAX_CALLS_PER_JOB, "path_cap": CATEGORIES["path_cap"]}


def record_for(job: dict, example: int, call: int, status: str, trace: dict | None = None) -> dict:
    trace = trace or {}
    source = job["source"]
    return {"id": "python:%s:%s:%s:%d:%d" % (job["package"], job["file"], job["qualname"], example, call),
            "language": "python", "package": job["package"], "split": job["split"], "file": job["file"],
            "name": job["qualname"], "start_line": job["first_line"], "source": source,
            "input": job["examples"][example]["source"] if example < len(job["examples"]) else "",
            "status": status, "line_count": len(source.splitlines()),
            "executed": trace.get("executed", []), "path": trace.get("path", []),
            "values": trace.get("values", []), "seconds": trace.get("seconds", 0.0)}


def run_python_job(job: dict, roots: list[str], read_paths: list[Path], timeout_s: float, memory_mb: int,
                   scratch_parent: Path) -> tuple[list[dict], dict]:
    """Run one job sandboxed; its records (runner calls + one for an interrupted example) and summary."""
    scratch = Path(tempfile.mkdtemp(prefix="job-", dir=scratch_parent))
    try:
        result = sandbox.run([PYTHON, "-I", str(RUNNER)], scratch=scratch, timeout_s=timeout_s,
                             memory_mb=memory_mb, env=RUNNER_ENV, read_paths=read_paths,
                             stdin=json.dumps(runner_input(job, roots, scratch)).encode())
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    records, import_status, reason, last_example, calls_in = [], None, None, None, Counter()
    done = None
    for line in result.stdout.decode("utf-8", "replace").splitlines():
        if not line.startswith("{"):
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue
        kind = event.get("event")
        if kind == "import":
            import_status, reason = event["status"], event.get("reason")
        elif kind == "example":
            last_example = event["example"]
        elif kind == "call":
            records.append(record_for(job, event["example"], event["call"], event["status"], event))
            calls_in[event["example"]] += 1
        elif kind == "done":
            done = event
    status = result.status
    if import_status == "import_error":
        job_status = "import_error"
    elif import_status is None:
        # the runner died before reporting the import (a timeout or memory while importing)
        job_status = "import_" + status if status != "ok" else "import_crash"
        reason = result.stderr.decode("utf-8", "replace")[-300:]
    else:
        job_status = status
        if done is None and last_example is not None:
            # interrupted inside an example: that execution is counted by how it ended
            failed = {"error": "crash", "ok": "crash"}.get(status, status)
            records.append(record_for(job, last_example, calls_in[last_example], failed, {"seconds": result.seconds}))
        elif done and done.get("blocked_example") is not None and not any(r["status"] == "blocked" for r in records):
            example = done["blocked_example"]
            records.append(record_for(job, example, calls_in[example], "blocked"))
        if job_status == "ok" and not records:
            job_status = "no_call"
    summary = {"key": job["key"], "package": job["package"], "status": job_status, "reason": reason,
               "blocked_at_import": (done or {}).get("blocked_at_import", 0),
               "records": len(records), "seconds": result.seconds,
               "statuses": dict(Counter(r["status"] for r in records))}
    return records, summary


def collect_python(args, out: Path, output: TraceOutput, log) -> None:
    jobs, roots = python_jobs(args.corpus, out, args.packages, log, args.whole_packages)
    apt_deps = extract_apt_dependencies(out, {r["package"] for r in python_examples.load_manifest(args.corpus)}, log)
    deps = install_dependencies(out, args.wheels, log) if args.wheels else (out / "deps" if (out / "deps").is_dir() else None)
    roots.extend(str(d) for d in (apt_deps, deps) if d)
    retry = {k for k, status in output.done.items() if args.retry_import_errors and status.startswith("import_")}
    pending = [j for j in jobs if j["key"] not in output.done or j["key"] in retry]
    log("python: %d jobs, %d done before, %d to run" % (len(jobs), len(jobs) - len(pending), len(pending)))
    if args.limit:
        pending = pending[:args.limit]
    read_paths = [HERE, out / "site"] + [d for d in (apt_deps, deps) if d]
    scratch_parent = out / "scratch"
    scratch_parent.mkdir(parents=True, exist_ok=True)
    tally = JobTally(output, "python", len(pending))

    def work(job):
        return run_python_job(job, roots, read_paths, args.timeout_s, args.memory_mb, scratch_parent)

    def done(result) -> None:
        summary = tally.add(result)
        if summary["status"].startswith("import_") or summary["status"] == "no_call":
            tally.records.add("python-jobs", summary["status"])
        if tally.due(50):
            log("python: %d/%d jobs (%.2f/s, %.0f min left) | %s" % (tally.finished, tally.total, tally.rate, tally.minutes_left, tally.records))

    run_jobs(pending, work, args.workers, done)


def collect_javascript(args, out: Path, log) -> dict | None:
    if not (HERE / "js_jobs.py").exists():
        log("javascript: training/traces/js_jobs.py does not exist yet: skipping")
        return None
    js_jobs = importlib.import_module("js_jobs")
    offered = {"limit": args.limit, "workers": args.workers, "timeout_s": args.timeout_s,
               "packages": args.packages, "log": log}
    accepted = inspect.signature(js_jobs.collect).parameters
    kwargs = {k: v for k, v in offered.items() if k in accepted}
    return js_jobs.collect(args.corpus, out, **kwargs)


def write_report(out: Path, this_run_seconds: float, extra: dict, corpus: Path | None = None) -> dict:
    roots = {}
    if corpus and (corpus / "manifest.jsonl").exists():
        roots = {r["package"]: Path(r["path"]) for r in python_examples.load_manifest(corpus)}
    in_corpus = Counter()
    statuses: dict[str, Counter] = defaultdict(Counter)
    functions: dict[str, set] = defaultdict(set)
    splits: dict[str, Counter] = defaultdict(Counter)
    packages: dict[str, Counter] = defaultdict(Counter)
    traces = out / "traces.jsonl"
    if traces.exists():
        with traces.open(encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                statuses[r["language"]][r["status"]] += 1
                if r["status"] in TRAINABLE:
                    functions[r["language"]].add((r["package"], r["file"], r["name"]))
                    splits[r["language"]][r["split"]] += 1
                    packages[r["language"]][r["package"]] += 1
                    if r["language"] == "python" and r["package"] in roots:
                        in_corpus["file in the corpus" if (roots[r["package"]] / r["file"]).exists()
                                  else "file left out by the corpus's size cap"] += 1
    job_status, reasons, job_seconds, blocked_at_import = Counter(), Counter(), 0.0, 0
    jobs_file = out / "jobs.jsonl"
    latest = {}
    if jobs_file.exists():
        for line in jobs_file.read_text().splitlines():
            j = json.loads(line)
            job_seconds += j.get("seconds", 0.0)   # every attempt took machine time
            latest[j["key"]] = j                   # a retried job counts once, as it ended last
        for j in latest.values():
            job_status[j["status"]] += 1
            blocked_at_import += bool(j.get("blocked_at_import"))
            if j["status"].startswith("import_"):
                reasons[((j.get("reason") or "?").strip().splitlines() or ["?"])[-1][:120]] += 1
    runs = [json.loads(l) for l in (out / "runs.jsonl").read_text().splitlines()] if (out / "runs.jsonl").exists() else []
    by_language = {lang: dict(sorted(c.items())) for lang, c in sorted(statuses.items())}
    for status, n in job_status.items():
        if status.startswith("import_"):
            by_language.setdefault("python", {})[status] = n   # per job: nothing ran, so no record
    report = {
        "executions": {lang: sum(n for s, n in c.items() if s in TRAINABLE) for lang, c in statuses.items()},
        "executions_all_statuses": {lang: sum(c.values()) for lang, c in statuses.items()},
        "by_language_and_status": by_language,
        "functions_traced": {lang: len(f) for lang, f in functions.items()},
        "trainable_by_split": {lang: dict(c) for lang, c in splits.items()},
        "python_trainable_by_source": dict(in_corpus),
        "python_jobs": {"total": sum(job_status.values()), "by_status": dict(job_status.most_common()),
                        "sandbox_seconds": round(job_seconds, 1),
                        "with_a_refusal_at_import": blocked_at_import},
        "import_errors_by_reason": dict(reasons.most_common(25)),
        "top_packages": {lang: dict(c.most_common(30)) for lang, c in packages.items()},
        "wall_seconds": {"this_run": round(this_run_seconds, 1),
                         "all_runs": round(sum(r.get("seconds", 0) for r in runs), 1), "runs": len(runs)},
        **extra,
    }
    (out / "report.json").write_text(json.dumps(report, indent=1) + "\n")
    return report


def main(argv=None) -> None:
    data = Path(os.environ.get("ASTROLABE_DATA", Path.home() / ".cache" / "astrolabe"))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=data / "corpus")
    parser.add_argument("--out", type=Path, default=data / "traces")
    parser.add_argument("--languages", default="python")
    parser.add_argument("--limit", type=int, default=0, help="run at most N new jobs per language")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout-s", type=float, default=5)
    parser.add_argument("--memory-mb", type=int, default=1024)
    parser.add_argument("--packages", help="regex on package names (a trial run)")
    parser.add_argument("--whole-packages", action="store_true",
                        help="also the files of a package the corpus's size cap left out (sympy, scipy, ...)")
    parser.add_argument("--retry-import-errors", action="store_true",
                        help="run again the jobs whose import failed (after adding dependencies)")
    parser.add_argument("--wheels", type=Path, help="offline wheel folder for DEPENDENCY_WHEELS (e.g. /opt/pypi/files)")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    log_file = (out / "collect.log").open("a")

    def log(message):
        line = time.strftime("%H:%M:%S ") + message
        print(line, file=sys.stderr, flush=True)
        log_file.write(line + "\n")
        log_file.flush()

    iso = sandbox.isolation()
    log("sandbox: namespaces=%s nobody=%s %s" % (iso.namespaces, iso.drop_to_nobody, "; ".join(iso.notes)))
    started = time.monotonic()
    extra = {"sandbox": {"namespaces": iso.namespaces, "drop_to_nobody": iso.drop_to_nobody, "notes": list(iso.notes)}}
    languages = [l.strip() for l in args.languages.split(",") if l.strip()]
    try:
        if "python" in languages:
            collect_python(args, out, TraceOutput(out, "jobs.jsonl", "python"), log)
        if "javascript" in languages:
            js = collect_javascript(args, out, log)
            if js is not None:
                extra["javascript_hook"] = js
    finally:
        seconds = time.monotonic() - started
        with (out / "runs.jsonl").open("a") as runs:
            runs.write(json.dumps({"started": time.strftime("%Y-%m-%dT%H:%M:%S"), "seconds": round(seconds, 1),
                                   "languages": languages, "limit": args.limit, "workers": args.workers}) + "\n")
        report = write_report(out, seconds, extra, args.corpus)
        log("report: " + json.dumps({k: report[k] for k in ("executions", "by_language_and_status", "functions_traced")}))


if __name__ == "__main__":
    main()
