"""Python trace jobs: functions and methods of the corpus whose docstrings hold doctest examples.

A job is one docstring owner (a module-level function, or a method of a module-level class,
nested classes included): its module, qualified name, first line (the first decorator's, as in
`co_firstlineno`), exact source, and the docstring's examples in order (doctest's parser;
`+SKIP` examples left out).

Where the code is imported from (so imports work as in the package, and lines match the corpus):
  - python-stdlib: the interpreter's own standard library (`/usr/lib/python3.11`, the same Debian
    version as the corpus copy, with its compiled extension modules); the corpus copy only lists
    which files count.
  - a Debian binary package: its .deb from the corpus's download cache, extracted whole (the corpus
    keeps code files only and caps big packages at 10 MB, so `sympy.release` and every `.so` are
    missing there) into `<out>/site/<package>/` and byte-compiled in place once, together with its
    same-version `-lib` companion from apt's cache when Debian splits one off (pandas, sklearn);
    the import root is its `usr/lib/python3/dist-packages`. Only files present in the corpus are
    harvested.
`file` is relative to the package root of the manifest (`path`), as in the corpus's units.
"""
from __future__ import annotations

import ast
import doctest
import json
import os
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

TRAINING = Path(__file__).resolve().parents[1]
if str(TRAINING) not in sys.path:
    sys.path.insert(0, str(TRAINING))

STDLIB = "python-stdlib"
MAX_EXAMPLES = 40
MAX_EXAMPLE_CHARS = 2000
# Debuggers, tracers and the doctest machinery itself fight the runner's own tracing or output.
SKIP_STDLIB_MODULES = {"bdb", "pdb", "trace", "doctest", "idlelib", "turtledemo", "turtle", "tkinter",
                       "test", "lib2to3", "ensurepip", "venv", "pydoc_data", "this", "antigravity",
                       "webbrowser", "multiprocessing", "concurrent", "asyncio", "site", "sitecustomize"}
APT_ARCHIVES = Path("/var/cache/apt/archives")
SKIP_PATH_PARTS = {"tests", "test", "testing", "__pycache__", "benchmarks", "examples"}
_PARSER = doctest.DocTestParser()


def stdlib_split(file: str) -> str:
    """The corpus's split of a stdlib file (by top-level module), from the corpus builder itself."""
    from corpus.build import unit_split
    return unit_split(STDLIB, file)


@dataclass
class PackageSite:
    package: str
    source: str
    split: str | None            # None: by module (stdlib)
    corpus_root: Path            # manifest `path`: `file` is relative to it
    code_root: Path              # the same folder in the tree that is imported
    import_root: Path            # goes first on sys.path
    version: str = ""
    notes: list[str] = field(default_factory=list)

    def split_of(self, rel_file: str) -> str:
        return self.split if self.split else stdlib_split(rel_file)


@dataclass
class Job:
    key: str                     # python:<package>:<file>:<qualname>:<first line>
    package: str
    split: str
    file: str
    module: str
    path: str                    # absolute path of the imported file
    qualname: str
    first_line: int
    source: str
    examples: list[dict]         # {"source", "lineno"}
    import_root: str

    def to_json(self) -> dict:
        return self.__dict__.copy()


def load_manifest(corpus: Path) -> list[dict]:
    rows = [json.loads(line) for line in (corpus / "manifest.jsonl").read_text().splitlines() if line.strip()]
    return [r for r in rows if r.get("group") == "python" and r.get("ok") and r.get("path")]


def _deb_for(corpus: Path, row: dict) -> Path | None:
    folder = corpus / "downloads" / row["source"]
    name = "%s_%s_" % (row["package"], row["version"].replace(":", "%3a"))
    matches = sorted(folder.glob(name + "*.deb")) if folder.is_dir() else []
    return matches[0] if matches else None


def companion_debs(row: dict, archives: Path = APT_ARCHIVES) -> list[Path]:
    """Debian's compiled half of a split package (python3-pandas-lib beside python3-pandas), same version."""
    name = "%s-lib_%s_" % (row["package"], row["version"].replace(":", "%3a"))
    return sorted(archives.glob(name + "*.deb")) if archives.is_dir() else []


def prepare_site(corpus: Path, out: Path, row: dict) -> PackageSite | None:
    """The importable tree of one manifest package (extracting and byte-compiling it once)."""
    corpus_root = Path(row["path"])
    if row["package"] == STDLIB:
        runtime = Path(sysconfig.get_paths()["stdlib"])
        return PackageSite(STDLIB, row["source"], None, corpus_root, runtime, runtime, row.get("version", ""))
    if row["source"] != "debian-binary":
        return None
    deb = _deb_for(corpus, row)
    if deb is None:
        return None
    package_src = corpus / "src" / row["source"] / row["package"]
    rel_root = corpus_root.relative_to(package_src)
    site = (out / "site").resolve() / row["package"]
    marker = site / ".prepared"
    debs = [deb] + companion_debs(row)
    if not marker.exists() or marker.read_text().split() != [d.name for d in debs]:
        subprocess.run(["rm", "-rf", str(site)], check=True)
        site.mkdir(parents=True)
        for one in debs:
            subprocess.run(["dpkg-deb", "-x", str(one), str(site)], check=True)
        dist = site / "usr" / "lib" / "python3" / "dist-packages"
        if dist.is_dir():
            # pyc beside the sources: the sandboxed runner may not write them, and compiling
            # big packages on every job would cost seconds each
            subprocess.run([sys.executable, "-m", "compileall", "-q", "-j", "1", str(dist)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        marker.write_text("\n".join(d.name for d in debs) + "\n")
    dist = site / "usr" / "lib" / "python3" / "dist-packages"
    return PackageSite(row["package"], row["source"], row["split"], corpus_root, site / rel_root, dist, row["version"])


def module_name(import_root: Path, path: Path) -> str | None:
    try:
        rel = path.relative_to(import_root)
    except ValueError:
        return None
    parts = list(rel.with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    if not parts or not all(p.isidentifier() for p in parts):
        return None
    return ".".join(parts)


def _docstring_owners(tree: ast.Module) -> Iterator[tuple[str, ast.AST]]:
    """(qualname, node) of module-level functions and methods of module-level (nested) classes."""
    def visit(body, prefix):
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield prefix + node.name, node
            elif isinstance(node, ast.ClassDef):
                yield from visit(node.body, prefix + node.name + ".")
    yield from visit(tree.body, "")


def examples_of(docstring: str) -> list[dict]:
    try:
        examples = _PARSER.get_examples(docstring)
    except ValueError:   # malformed doctest (bad indentation): doctest itself would refuse it
        return []
    kept = []
    for example in examples:
        if example.options.get(doctest.SKIP):
            continue
        if len(example.source) > MAX_EXAMPLE_CHARS:
            continue
        kept.append({"source": example.source, "lineno": example.lineno})
    return kept[:MAX_EXAMPLES]


def jobs_in_file(site: PackageSite, path: Path, rel_file: str) -> Iterator[Job]:
    module = module_name(site.import_root, path)
    if module is None:
        return
    try:
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return
    lines = text.splitlines(keepends=True)
    split = site.split_of(rel_file)
    for qualname, node in _docstring_owners(tree):
        docstring = ast.get_docstring(node, clean=True)
        if not docstring or ">>>" not in docstring:
            continue
        examples = examples_of(docstring)
        if not examples:
            continue
        first_line = min([node.lineno] + [d.lineno for d in node.decorator_list])
        source = "".join(lines[first_line - 1:node.end_lineno])
        key = "python:%s:%s:%s:%d" % (site.package, rel_file, qualname, first_line)
        yield Job(key, site.package, split, rel_file, module, str(path), qualname, first_line, source,
                  examples, str(site.import_root))


def harvest(site: PackageSite, whole_package: bool = False) -> Iterator[Job]:
    """Jobs of one package, in file order: the files the corpus kept, or with `whole_package` also
    those its 10 MB cap left out (same package, same split; the standard library is never capped)."""
    root = site.code_root if whole_package and site.package != STDLIB else site.corpus_root
    for listed in sorted(root.rglob("*.py")):
        rel_file = listed.relative_to(root).as_posix()
        parts = rel_file.split("/")
        if SKIP_PATH_PARTS.intersection(parts[:-1]):
            continue
        if site.package == STDLIB and (parts[0].removesuffix(".py") in SKIP_STDLIB_MODULES
                                       or parts[0] in ("site-packages", "dist-packages")):
            continue
        path = site.code_root / rel_file
        if path.is_file():
            yield from jobs_in_file(site, path, rel_file)


if __name__ == "__main__":
    # a survey: jobs and examples per package (does not extract anything)
    import argparse
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    total_jobs = total_examples = 0
    for row in load_manifest(args.corpus):
        site = prepare_site(args.corpus, args.out, row)
        if site is None:
            print(row["package"], "no importable tree")
            continue
        jobs = list(harvest(site))
        n_examples = sum(len(j.examples) for j in jobs)
        total_jobs += len(jobs)
        total_examples += n_examples
        if jobs:
            print("%-32s %6d jobs %7d examples" % (row["package"], len(jobs), n_examples), flush=True)
    print("total", total_jobs, "jobs", total_examples, "examples")
