#!/usr/bin/python3
"""Build the Astrolabe training corpus, reproducibly and resumably.

    /usr/bin/python3 training/corpus/build.py [--data-dir DIR] [--jobs N] [--add-packages LIST.toml]

Stages (each skips work already done, so a rerun after a kill continues):
  sources   fetch and extract every package of packages.toml (per-package state files)
  manifest  manifest.jsonl: one line per package (source, version, license, bytes, files, split)
  units     our chunker (dist/cli.js units --jsonl) per package -> units/<source>/<package>.jsonl
  features  per unit: normalized-text hash, MinHash signature, eval containment (work/features/)
  dedup     exact and near-duplicate (MinHash LSH, Jaccard >= 0.8) removal, keeping one copy
  overlap   remove units that duplicate, nearly duplicate, contain or are contained in an eval item
  output    train.jsonl, valid.jsonl, stats.json
See README.md in this folder.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import multiprocessing
import os
import re
import subprocess
import sys
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE.parent))

from corpus import minhash, normalize, sources  # noqa: E402

STAGES = ['sources', 'manifest', 'units', 'features', 'dedup', 'overlap', 'output']
# Stages that are resumable package by package: they always run, and redo only what is missing
# or stale (so a changed packages.toml is picked up); the others run once, after a change above.
PER_PACKAGE = {'sources', 'manifest', 'units', 'features'}
EVAL_DIR_DEFAULT = REPO.parent / 'shared' / 'eval'
VALID_PERCENT = 5
MIN_CONTAIN_TOKENS = 30
# Why a unit overlaps the eval sets, by code (the overlap stage's work/overlap_reason.npy; 0 is none).
OVERLAP_REASONS = {1: 'exact', 2: 'near_duplicate', 3: 'contains_eval_body', 4: 'contained_in_eval'}
SPLIT_SALT = 'astrolabe-corpus-split-v1:'
STDLIB = 'python-stdlib'
# The sections of a package list that list packages, by group.
PACKAGE_SECTIONS = ('debian-binary', 'debian-source', 'npm')
log = logging.getLogger('corpus')


# ----------------------------------------------------------------------------- helpers

def split_of(key: str) -> str:
    """'train' or 'valid', deterministic from a hash of the key (a package or stdlib module)."""
    h = int(hashlib.sha1((SPLIT_SALT + key).encode()).hexdigest(), 16)
    return 'valid' if h % 100 < VALID_PERCENT else 'train'


def stdlib_module(file: str) -> str:
    top = file.split('/', 1)[0]
    return top[:-3] if top.endswith('.py') else top


def unit_split(package: str, file: str) -> str:
    if package == STDLIB:
        return split_of('%s:%s' % (STDLIB, stdlib_module(file)))
    return split_of(package)


def write_json(path: Path, obj) -> None:
    tmp = path.with_name(path.name + '.tmp')
    tmp.parent.mkdir(parents=True, exist_ok=True)
    tmp.write_text(json.dumps(obj, indent=1, sort_keys=False) + '\n')
    tmp.rename(path)


class Package:
    def __init__(self, source: str, group: str, name: str, pin: Optional[str], entry: str,
                 include: List[str], exclude: List[str], debs: Optional[List[str]] = None) -> None:
        self.source, self.group, self.name, self.pin, self.entry = source, group, name, pin, entry
        self.include, self.exclude = include, exclude
        self.debs = debs  # python-stdlib: the Debian packages merged into it (entries, maybe pinned)
        parsed = [sources.parse_entry('debian-binary', e) for e in (debs or [])]
        self.debnames = [n for n, _ in parsed]
        self.pins = [v for _, v in parsed]
        self.safe = sources.safe_name(name)

    @property
    def key(self) -> str:
        return '%s/%s' % (self.source, self.safe)

    @property
    def split(self) -> str:
        return 'by-module' if self.name == STDLIB else split_of(self.name)


def merged_lists(paths: List[Path]) -> dict:
    """The first list, with each later one's packages (and include/exclude rules) added to the same
    sections and groups: a trial list names only what it adds, and the settings stay the first's."""
    cfg = tomllib.loads(paths[0].read_text())
    for path in paths[1:]:
        extra = tomllib.loads(path.read_text())
        if 'settings' in extra or 'python-stdlib' in extra:
            raise SystemExit('%s: an added package list holds packages only, no [settings] or [python-stdlib]' % path)
        for section, groups in extra.items():
            target = cfg.setdefault(section, {})
            for group, value in groups.items():
                target[group] = (target.get(group, []) + value) if section in PACKAGE_SECTIONS else value
    return cfg


def load_packages(paths: List[Path]) -> Tuple[dict, List[Package]]:
    cfg = merged_lists(paths)
    path = ' + '.join(str(p) for p in paths)
    settings = cfg['settings']
    inc, exc = cfg.get('include', {}), cfg.get('exclude', {})
    pkgs: List[Package] = []
    std = cfg.get('python-stdlib')
    if std:
        pkgs.append(Package('python-stdlib', 'python', STDLIB, None, STDLIB, inc.get(STDLIB, []), exc.get(STDLIB, []),
                            debs=std['packages']))
    for source in PACKAGE_SECTIONS:
        for group, entries in cfg.get(source, {}).items():
            for e in entries:
                name, pin = sources.parse_entry(source, e)
                pkgs.append(Package(source, group if source != 'npm' else 'js/ts', name, pin, e,
                                    inc.get(name, []), exc.get(name, [])))
    seen = set()
    for p in pkgs:
        if p.key in seen:
            raise SystemExit('duplicate package in %s: %s' % (path, p.key))
        seen.add(p.key)
    return settings, pkgs


class Build:
    def __init__(self, args) -> None:
        self.args = args
        self.data = Path(args.data_dir).expanduser().resolve()
        self.lists = [Path(args.packages)] + [Path(p) for p in args.add_packages]
        self.settings, self.packages = load_packages(self.lists)
        if args.only:
            pat = re.compile(args.only)
            self.packages = [p for p in self.packages if pat.search(p.name)]
        self.state = self.data / 'state'
        self.timings_path = self.state / 'timings.json'
        self.timings = json.loads(self.timings_path.read_text()) if self.timings_path.exists() else {}

    # ------------------------------------------------------------------ bookkeeping
    def done_marker(self, stage: str) -> Path:
        return self.state / ('%s.done' % stage)

    def run(self) -> None:
        stages = self.args.stages.split(',') if self.args.stages else STAGES
        for st in stages:
            if st not in STAGES:
                raise SystemExit('unknown stage %s' % st)
        for st in (self.args.force or '').split(','):
            if st:
                self.done_marker(st).unlink(missing_ok=True)
        t_all = time.time()
        for st in stages:
            marker = self.done_marker(st)
            if st not in PER_PACKAGE and marker.exists():
                log.info('stage %s: already done (delete %s or pass --force %s to redo)', st, marker, st)
                continue
            log.info('stage %s: start', st)
            t0 = time.time()
            changed = getattr(self, 'stage_' + st)()
            dt = time.time() - t0
            if st not in PER_PACKAGE or changed:
                self.timings[st] = round(dt, 1)
                write_json(self.timings_path, self.timings)
            if st not in PER_PACKAGE:
                marker.parent.mkdir(parents=True, exist_ok=True)
                marker.write_text(json.dumps({'seconds': round(dt, 1), 'finished': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}))
            log.info('stage %s: done in %.1f s%s', st, dt, '' if st not in PER_PACKAGE or changed else ' (nothing to do)')
            if st not in PER_PACKAGE or changed:
                # later stages depend on this one's output
                for later in STAGES[STAGES.index(st) + 1:]:
                    self.done_marker(later).unlink(missing_ok=True)
        log.info('all requested stages finished in %.1f s this run', time.time() - t_all)

    def fetch_config(self, p: Package) -> dict:
        """What a package's extracted tree depends on besides its name: a change refetches it."""
        by_group = self.settings.get('max_code_mb_by_group', {})
        cap = 40 if p.source == 'python-stdlib' else int(by_group.get(p.group, self.settings.get('max_code_mb', 10)))
        return dict(max_code_mb=cap, include=list(p.include), pin=p.pin if p.source != 'python-stdlib' else p.pins)

    def stale(self, p: Package) -> bool:
        """Not fetched yet, failed, fetched with another cap or include paths, or pinned (exactly)
        to a version other than the one fetched."""
        st = self.pkg_state(p)
        if not st or not st.get('ok'):
            return True
        want, had = self.fetch_config(p), st.get('config') or {}
        if any(want[k] != had.get(k) for k in ('max_code_mb', 'include')):
            return True
        if p.source == 'python-stdlib':
            return any(v and v not in st['version'].split() for v in p.pins)
        exact = p.pin and (p.source != 'npm' or re.fullmatch(r'\d+\.\d+\.\d+(-[\w.]+)?', p.pin))
        return bool(exact and p.pin != st['version'])

    def pkg_state_path(self, p: Package) -> Path:
        return self.state / 'sources' / p.source / (p.safe + '.json')

    def pkg_state(self, p: Package) -> Optional[dict]:
        f = self.pkg_state_path(p)
        return json.loads(f.read_text()) if f.exists() else None

    def ok_packages(self) -> List[Tuple[Package, dict]]:
        out = []
        for p in self.packages:
            st = self.pkg_state(p)
            if st and st.get('ok'):
                out.append((p, st))
        return out

    # ------------------------------------------------------------------ stage 1: sources
    def stage_sources(self) -> None:
        apt = sources.Apt(self.data, self.settings)
        apt.update()
        todo = [p for p in self.packages if self.stale(p)]
        log.info('sources: %d of %d packages to fetch', len(todo), len(self.packages))

        def one(p: Package) -> None:
            dest = self.data / 'src' / p.source / p.safe
            dl = self.data / 'downloads' / p.source
            cap = self.fetch_config(p)['max_code_mb'] << 20
            t0 = time.time()
            try:
                if p.source == 'python-stdlib':
                    info = sources.fetch_debian_binary(apt, p.debnames, p.pins, self.data / 'downloads' / 'debian-binary',
                                                       dest, p.include or ['usr/lib/python3.11'], cap)
                    info['license'] = 'PSF-2.0'  # the Python license (its copyright file is free text)
                elif p.source == 'debian-binary':
                    info = sources.fetch_debian_binary(apt, [p.name], [p.pin], dl, dest, p.include, cap)
                elif p.source == 'debian-source':
                    info = sources.fetch_debian_source(apt, p.name, p.pin, dl, dest, p.include, cap)
                else:
                    info = sources.fetch_npm(p.name, p.pin, dl, dest, p.include, cap)
                # a (re)fetched package is chunked and featurized again
                self.units_path(p).unlink(missing_ok=True)
                self.features_path(p).unlink(missing_ok=True)
                root = sources.code_root(dest)
                files, nbytes = sources.tree_stats(root)
                st = dict(ok=True, source=p.source, package=p.name, group=p.group, version=info['version'],
                          license=info['license'], path=str(root), bytes=nbytes, files=files,
                          notes=info['notes'], seconds=round(time.time() - t0, 1), config=self.fetch_config(p))
                log.info('sources: %-40s %-22s %7.1f MB %5d files  %s', p.key, info['version'][:22], nbytes / 1e6, files, info['license'][:40])
            except Exception as e:  # noqa: BLE001 - a failed package is recorded and skipped
                st = dict(ok=False, source=p.source, package=p.name, group=p.group, error=str(e)[-1000:])
                log.warning('sources: %s FAILED: %s', p.key, str(e)[-300:])
            write_json(self.pkg_state_path(p), st)

        # apt (sequential: it shares one state folder) and npm (network-bound) run side by side
        apt_todo = [p for p in todo if p.source != 'npm']
        npm_todo = [p for p in todo if p.source == 'npm']
        with ThreadPoolExecutor(max_workers=3) as ex:
            futs = [ex.submit(lambda ps=apt_todo: [one(p) for p in ps])]
            futs += [ex.submit(lambda ps=npm_todo[i::2]: [one(p) for p in ps]) for i in range(2)]
            for f in futs:
                f.result()
        failed = [p.key for p in self.packages if not (self.pkg_state(p) or {}).get('ok')]
        log.info('sources: %d ok, %d failed: %s', len(self.packages) - len(failed), len(failed), ' '.join(failed))
        # only packages fetched now change anything downstream (a failure retried again does not)
        return any(not self.stale(p) for p in todo)

    # ------------------------------------------------------------------ stage 2: manifest
    def stage_manifest(self) -> None:
        lines = []
        lic_dir = self.data / 'licenses'
        for p in self.packages:
            st = self.pkg_state(p) or {'ok': False, 'error': 'not fetched'}
            if st.get('ok') and p.source in ('debian-binary', 'debian-source'):
                # keep the package's copyright file beside the manifest, and read the license from it
                f = lic_dir / p.source / (p.safe + '.copyright')
                if not f.exists():
                    text = sources.debian_copyright(self.data, p.source, p.name, st['version'])
                    if text:
                        f.parent.mkdir(parents=True, exist_ok=True)
                        f.write_text(text)
                if f.exists():
                    st['license'] = sources.license_from_copyright(f.read_text())
            row = dict(source=p.source, package=p.name, group=p.group, entry=p.entry,
                       version=st.get('version'), license=st.get('license'), path=st.get('path'),
                       bytes=st.get('bytes', 0), files=st.get('files', 0), split=p.split, ok=st.get('ok', False))
            if p.debs:
                row['debian_packages'] = p.debs
            if st.get('notes'):
                row['notes'] = st['notes']
            if not st.get('ok'):
                row['error'] = st.get('error')
            lines.append(json.dumps(row))
        out = self.data / 'manifest.jsonl'
        text = '\n'.join(lines) + '\n'
        changed = not out.exists() or out.read_text() != text
        tmp = self.data / 'manifest.jsonl.tmp'
        tmp.write_text(text)
        tmp.rename(out)
        ok = [json.loads(l) for l in lines if json.loads(l)['ok']]
        log.info('manifest: %d packages, %.1f MB of code in %d files', len(ok), sum(r['bytes'] for r in ok) / 1e6, sum(r['files'] for r in ok))
        return changed

    # ------------------------------------------------------------------ stage 3: units
    def chunker(self) -> Path:
        cli = REPO / 'dist' / 'cli.js'
        if not cli.exists():
            log.info('units: dist/cli.js missing; running npm run build')
            if not (REPO / 'node_modules').exists():
                subprocess.run(['npm', 'ci'], cwd=REPO, check=True)
            subprocess.run(['npm', 'run', 'build'], cwd=REPO, check=True)
        return cli

    def units_path(self, p: Package) -> Path:
        return self.data / 'units' / p.source / (p.safe + '.jsonl')

    def stage_units(self) -> None:
        cli = self.chunker()
        todo = [(p, st) for p, st in self.ok_packages() if not self.units_path(p).exists()]
        log.info('units: %d packages to chunk', len(todo))

        def one(item) -> None:
            p, st = item
            out = self.units_path(p)
            out.parent.mkdir(parents=True, exist_ok=True)
            cmd = ['node', str(cli), 'units', st['path'], '--jsonl']
            excl = list(p.exclude)
            if p.source == 'npm':
                excl += ['**/*.d.ts', '**/*.d.mts', '**/*.d.cts']
            if excl:
                cmd += ['--exclude'] + excl
            t0 = time.time()
            proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=3600)
            if proc.returncode != 0:
                log.warning('units: %s chunker failed (%d): %s', p.key, proc.returncode, proc.stderr.decode(errors='replace')[-500:])
                return
            units = []
            # Split on newlines only: Node's JSON keeps U+2028, U+2029 and U+0085 raw inside strings, and
            # str.splitlines() would cut a unit's line there.
            for number, line in enumerate(proc.stdout.decode('utf-8', 'surrogateescape').split('\n'), 1):
                if not line.strip():
                    continue
                try:
                    units.append(json.loads(line))
                except ValueError as error:
                    log.warning('units: %s chunker output line %d is not JSON (%s); package skipped', p.key, number, error)
                    return
            units.sort(key=lambda u: (u['file'], u['start_byte'], u['end_byte']))
            tmp = out.with_name(out.name + '.tmp')
            with open(tmp, 'w', encoding='utf-8', errors='surrogateescape') as f:
                for u in units:
                    u['package'] = p.name
                    u['split'] = unit_split(p.name, u['file'])
                    f.write(json.dumps(u, ensure_ascii=False) + '\n')
            out.with_name(p.safe + '.report.txt').write_bytes(proc.stderr)
            tmp.rename(out)
            self.features_path(p).unlink(missing_ok=True)
            log.info('units: %-40s %6d units %6.1f s', p.key, len(units), time.time() - t0)

        with ThreadPoolExecutor(max_workers=self.args.jobs) as ex:
            list(ex.map(one, todo))
        return bool(todo)

    # ------------------------------------------------------------------ stage 4a: features
    def eval_items(self) -> List[dict]:
        """Every eval item once: {set, id, language, code}. Read in place, never copied."""
        ev = Path(self.args.eval_dir)
        items = []
        seen = set()
        code_map = json.loads((ev / 'cosqa' / 'code_idx_map.txt').read_text())
        for code, idx in sorted(code_map.items(), key=lambda kv: kv[1]):
            items.append(dict(set='cosqa', id=str(idx), language='python', code=code))
            seen.add(code)
        for q in json.loads((ev / 'cosqa' / 'cosqa-retrieval-dev-500.json').read_text()):
            if q['code'] not in seen:
                seen.add(q['code'])
                items.append(dict(set='cosqa-dev', id=q['idx'], language='python', code=q['code']))
        with open(ev / 'poj104' / 'dev.jsonl') as f:
            for line in f:
                r = json.loads(line)
                items.append(dict(set='poj104', id=r['index'], language='cpp', code=r['code']))
        return items

    def build_eval_index(self) -> Path:
        path = self.data / 'work' / 'eval_index.npz'
        if path.exists():
            return path
        items = self.eval_items()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name('eval_index.tmp.npz')
        np.savez(tmp, **eval_index_arrays(items))
        tmp.rename(path)
        write_json(self.data / 'work' / 'eval_items.json', [{k: it[k] for k in ('set', 'id', 'language')} for it in items])
        log.info('features: eval index of %d items (%d CoSQA, %d POJ-104)', len(items),
                 sum(it['set'].startswith('cosqa') for it in items), sum(it['set'] == 'poj104' for it in items))
        return path

    def features_path(self, p: Package) -> Path:
        return self.data / 'work' / 'features' / p.source / (p.safe + '.npz')

    def stage_features(self) -> None:
        eval_path = self.build_eval_index()
        todo = [(str(self.units_path(p)), str(self.features_path(p))) for p, _ in self.ok_packages()
                if self.units_path(p).exists() and not self.features_path(p).exists()]
        # biggest first, so the pool's two workers finish together
        todo.sort(key=lambda t: -os.path.getsize(t[0]))
        log.info('features: %d packages to process', len(todo))
        ctx = multiprocessing.get_context('fork')
        with ctx.Pool(self.args.jobs, initializer=_worker_init, initargs=(str(eval_path),)) as pool:
            for msg in pool.imap_unordered(_features_one, todo):
                log.info('features: %s', msg)
        return bool(todo)

    # ------------------------------------------------------------------ stage 4b: dedup
    def load_features(self) -> Dict[str, np.ndarray]:
        parts = {k: [] for k in ('exact', 'sig', 'ntok', 'cid', 'cdir', 'split', 'pkg')}
        self.pkg_list = []
        for p, _ in self.ok_packages():
            f = self.features_path(p)
            if not f.exists():
                continue
            z = np.load(f)
            n = len(z['exact'])
            for k in ('exact', 'sig', 'ntok', 'cid', 'cdir', 'split'):
                parts[k].append(z[k])
            parts['pkg'].append(np.full(n, len(self.pkg_list), dtype=np.int32))
            self.pkg_list.append(p)
        return {k: np.concatenate(v) if v else np.empty(0) for k, v in parts.items()}

    def stage_dedup(self) -> None:
        F = self.load_features()
        n = len(F['exact'])
        idx = np.arange(n)
        # canonical order: train before valid (a duplicate across splits stays in train, so
        # validation never repeats training code), then package order, then unit order
        order = np.lexsort((idx, F['split']))
        empty = F['ntok'] == 0
        drop_reason = np.zeros(n, dtype=np.int8)  # 0 kept, 1 empty, 2 exact, 3 near
        drop_reason[empty] = 1
        live = order[~empty[order]]
        _, first = np.unique(F['exact'][live], return_index=True)
        is_first = np.zeros(len(live), dtype=bool)
        is_first[first] = True
        drop_reason[live[~is_first]] = 2
        rest = live[is_first]  # still in canonical order
        t0 = time.time()
        near, pairs = minhash.near_duplicates(F['sig'][rest])
        drop_reason[rest[near]] = 3
        log.info('dedup: %d units: %d empty, %d exact duplicates, %d near duplicates (%d verified pairs, %.1f s); %d kept',
                 n, int((drop_reason == 1).sum()), int((drop_reason == 2).sum()), int((drop_reason == 3).sum()), pairs,
                 time.time() - t0, int((drop_reason == 0).sum()))
        np.save(self.data / 'work' / 'dedup_reason.npy', drop_reason)
        by_pkg = {}
        for code, name in ((2, 'exact'), (3, 'near')):
            cnt = np.bincount(F['pkg'][drop_reason == code], minlength=len(self.pkg_list))
            for i in np.argsort(-cnt)[:15]:
                if cnt[i]:
                    by_pkg.setdefault(name, {})[self.pkg_list[i].name] = int(cnt[i])
        write_json(self.data / 'work' / 'dedup.json', dict(
            units_in=n, empty=int((drop_reason == 1).sum()), exact_removed=int((drop_reason == 2).sum()),
            near_removed=int((drop_reason == 3).sum()), near_pairs_verified=int(pairs),
            kept=int((drop_reason == 0).sum()), top_packages_removed=by_pkg,
            method=dict(normalization='comments and Python docstrings removed, whitespace collapsed (regex tokenizer)',
                        near='MinHash %d perms over token %d-gram shingles with identifiers renamed by first appearance; '
                             'LSH %d bands x %d rows; verified estimated Jaccard >= %.2f; one unit kept per connected component'
                             % (minhash.NUM_PERM, minhash.SHINGLE, minhash.BANDS, minhash.ROWS, minhash.THRESHOLD))))

    # ------------------------------------------------------------------ stage 6: overlap
    def stage_overlap(self) -> None:
        F = self.load_features()
        reason = np.load(self.data / 'work' / 'dedup_reason.npy')
        ev = np.load(self.build_eval_index())
        items = json.loads((self.data / 'work' / 'eval_items.json').read_text())
        alive = np.nonzero(reason == 0)[0]
        ov = np.zeros(len(reason), dtype=np.int8)   # 1 exact, 2 near, 3 contains eval, 4 contained in eval
        match = np.full(len(reason), -1, dtype=np.int32)
        ex = np.isin(F['exact'][alive], ev['exact'])
        eval_by_exact = {int(h): i for i, h in enumerate(ev['exact'].tolist())}
        for r in alive[ex].tolist():
            ov[r], match[r] = 1, eval_by_exact[int(F['exact'][r])]
        rest = alive[~ex]
        lsh = minhash.LshIndex(ev['sig'])
        jac = {}
        for row, item, j in lsh.query(F['sig'][rest]):
            r = int(rest[row])
            ov[r], match[r] = 2, item
            jac[r] = j
        c = (ov == 0) & (reason == 0) & (F['cid'] >= 0)
        ov[c] = np.where(F['cdir'][c] == 1, 3, 4)
        match[c] = F['cid'][c]
        np.save(self.data / 'work' / 'overlap_reason.npy', ov)
        removed = np.nonzero(ov)[0]
        report = dict(units_checked=int(len(alive)), removed=int(len(removed)), by_reason={}, by_eval_set={},
                      eval_items_matched={}, by_package={}, examples=[],
                      method=dict(normalization='same tokenizer as dedup (comments and Python docstrings removed, whitespace collapsed)',
                                  exact='normalized text hash equal to an eval item',
                                  near='MinHash (identifiers renamed) estimated Jaccard >= %.2f with an eval item' % minhash.THRESHOLD,
                                  contains='unit token stream contains an eval function body (Python: after the def header, '
                                           'docstring removed; POJ-104: the whole program) of >= %d tokens' % MIN_CONTAIN_TOKENS,
                                  contained='unit of >= %d tokens appears verbatim (normalized) inside an eval item' % MIN_CONTAIN_TOKENS),
                      eval_sets=dict(cosqa='/work/shared/eval/cosqa/code_idx_map.txt + cosqa-retrieval-dev-500.json',
                                     poj104='/work/shared/eval/poj104/dev.jsonl'))
        matched: Dict[str, set] = {}
        for r in removed.tolist():
            rn = OVERLAP_REASONS[int(ov[r])]
            it = items[int(match[r])]
            es = 'cosqa' if it['set'].startswith('cosqa') else it['set']
            report['by_reason'][rn] = report['by_reason'].get(rn, 0) + 1
            report['by_eval_set'].setdefault(es, {}).setdefault(rn, 0)
            report['by_eval_set'][es][rn] += 1
            matched.setdefault(es, set()).add(int(match[r]))
            pk = self.pkg_list[int(F['pkg'][r])].name
            report['by_package'][pk] = report['by_package'].get(pk, 0) + 1
        report['eval_items_matched'] = {k: len(v) for k, v in matched.items()}
        report['by_package'] = dict(sorted(report['by_package'].items(), key=lambda kv: -kv[1]))
        # examples: look the units up (first few per reason)
        want: Dict[int, int] = {}
        for code in OVERLAP_REASONS:
            for r in np.nonzero(ov == code)[0][:8].tolist():
                want[r] = code
        if want:
            starts = np.concatenate(([0], np.cumsum(np.bincount(F['pkg'], minlength=len(self.pkg_list)))))
            for r in sorted(want):
                pi = int(F['pkg'][r])
                k = r - int(starts[pi])
                with open(self.units_path(self.pkg_list[pi]), encoding='utf-8', errors='surrogateescape') as f:
                    for i, line in enumerate(f):
                        if i == k:
                            u = json.loads(line)
                            break
                it = items[int(match[r])]
                ex_row = dict(reason=OVERLAP_REASONS[want[r]], package=u['package'], file=u['file'], name=u['name'], kind=u['kind'],
                              start_line=u['start_line'], eval_set=it['set'], eval_id=it['id'])
                if r in jac:
                    ex_row['jaccard_estimate'] = round(jac[r], 3)
                report['examples'].append(ex_row)
        write_json(self.data / 'overlap_report.json', report)
        log.info('overlap: %d of %d units removed: %s; eval items matched: %s', len(removed), len(alive),
                 report['by_reason'], report['eval_items_matched'])

    # ------------------------------------------------------------------ stage 7: output
    def stage_output(self) -> None:
        F = self.load_features()
        reason = np.load(self.data / 'work' / 'dedup_reason.npy')
        ov = np.load(self.data / 'work' / 'overlap_reason.npy')
        keep = (reason == 0) & (ov == 0)
        outs = {s: open(self.data / ('%s.jsonl.tmp' % s), 'w', encoding='utf-8', errors='surrogateescape') for s in ('train', 'valid')}
        stats = dict(splits={}, languages={}, kinds={}, groups={}, packages={})

        def add(d: dict, key: str, nbytes: int, ntok: int) -> None:
            e = d.setdefault(key, dict(units=0, bytes=0, tokens=0))
            e['units'] += 1
            e['bytes'] += nbytes
            e['tokens'] += ntok

        g = 0
        for pi, p in enumerate(self.pkg_list):
            nkept = 0
            with open(self.units_path(p), encoding='utf-8', errors='surrogateescape') as f:
                for line in f:
                    k = keep[g]
                    g += 1
                    if not k:
                        continue
                    u = json.loads(line)
                    text = u['text']
                    row = dict(package=u['package'], language=u['language'], kind=u['kind'], name=u['name'], file=u['file'], text=text)
                    outs[u['split']].write(json.dumps(row, ensure_ascii=False) + '\n')
                    nb = len(text.encode('utf-8', 'surrogateescape'))
                    nt = len(text.split())
                    add(stats['splits'], u['split'], nb, nt)
                    add(stats['languages'], '%s/%s' % (u['language'], u['split']), nb, nt)
                    add(stats['languages'], u['language'], nb, nt)
                    add(stats['kinds'], u['kind'], nb, nt)
                    add(stats['groups'], p.group, nb, nt)
                    nkept += 1
            stats['packages'][p.name] = nkept
        assert g == len(keep), (g, len(keep))
        for s, f in outs.items():
            f.close()
            (self.data / ('%s.jsonl.tmp' % s)).rename(self.data / ('%s.jsonl' % s))
        manifest = [json.loads(l) for l in (self.data / 'manifest.jsonl').read_text().splitlines()]
        dedup = json.loads((self.data / 'work' / 'dedup.json').read_text())
        overlap = json.loads((self.data / 'overlap_report.json').read_text())
        units_in = {}
        for p in self.pkg_list:
            with open(self.units_path(p), 'rb') as f:
                units_in[p.name] = sum(1 for _ in f)
        total = stats['splits']
        stats = dict(
            units=sum(v['units'] for v in total.values()), bytes=sum(v['bytes'] for v in total.values()),
            tokens_whitespace=sum(v['tokens'] for v in total.values()),
            raw_source=dict(packages_ok=sum(1 for m in manifest if m['ok']), packages_failed=[m['source'] + '/' + m['package'] for m in manifest if not m['ok']],
                            bytes=sum(m['bytes'] or 0 for m in manifest if m['ok']), files=sum(m['files'] or 0 for m in manifest if m['ok']),
                            bytes_by_group=_sum_by(manifest, 'group')),
            units_from_chunker=sum(units_in.values()),
            dedup={k: v for k, v in dedup.items() if k != 'top_packages_removed'},
            overlap=dict(removed=overlap['removed'], by_reason=overlap['by_reason'], by_eval_set=overlap['by_eval_set'],
                         eval_items_matched=overlap['eval_items_matched']),
            **{k: stats[k] for k in ('splits', 'languages', 'kinds', 'groups')},
            wall_seconds=dict(self.timings),
            units_per_package={k: dict(chunked=units_in[k], kept=v) for k, v in stats['packages'].items()},
        )
        write_json(self.data / 'stats.json', stats)
        log.info('output: %s', json.dumps({k: stats[k] for k in ('units', 'bytes', 'tokens_whitespace', 'splits')}))

    # ------------------------------------------------------------------ pins
    def pin(self) -> None:
        """Rewrite the entries of packages.toml (and of each added list) to the versions the last run fetched."""
        for path in self.lists:
            self.pin_list(path)

    def pin_list(self, path: Path) -> None:
        """Pins the entries of one list file (the regex leaves names the file does not hold alone)."""
        text = path.read_text()
        n = 0
        for p in self.packages:
            st = self.pkg_state(p)
            if not st or not st.get('ok'):
                continue
            if p.source == 'python-stdlib':
                pairs = list(zip(p.debnames, st['version'].split()))
                sep = '='
            else:
                pairs = [(p.name, st['version'])]
                sep = '@' if p.source == 'npm' else '='
            for name, ver in pairs:
                pat = re.compile(r'"%s(?:[=@][^"]*)?"(?=\s*[,\]\n])' % re.escape(name))
                text, k = pat.subn('"%s%s%s"' % (name, sep, ver), text)
                n += k
        path.write_text(text)
        log.info('pin: %d entries pinned in %s', n, path)


def _sum_by(manifest: List[dict], key: str) -> Dict[str, int]:
    out: Dict[str, int] = {}
    for m in manifest:
        if m['ok']:
            out[m[key]] = out.get(m[key], 0) + (m['bytes'] or 0)
    return out


def eval_index_arrays(items: List[dict]) -> Dict[str, np.ndarray]:
    """The eval index (work/eval_index.npz) of eval items ({code, language}): exact hashes, MinHash signatures,
    and the token streams that `containment` looks bodies up in."""
    th = minhash.TokenHasher()
    exact, sigs_sh, body_keys, body_ids, all_keys, all_ids, all_pos = [], [], [], [], [], [], []
    bodies, fulls = [], []
    for i, it in enumerate(items):
        toks = normalize.tokens(it['code'], it['language'])
        exact.append(exact_hash(toks))
        raw = th(toks)
        sigs_sh.append(near_shingles(toks, th))
        body = normalize.python_body(toks) if it['language'] == 'python' else toks
        bh = th(body)
        bodies.append(bh)
        fulls.append(raw)
        if len(body) >= MIN_CONTAIN_TOKENS:
            body_keys.append(minhash.ngram_hashes(bh)[0])
            body_ids.append(i)
        g = minhash.ngram_hashes(raw)
        all_keys.append(g)
        all_ids.append(np.full(len(g), i, dtype=np.int32))
        all_pos.append(np.arange(len(g), dtype=np.int32))
    keys = np.concatenate(all_keys)
    order = np.argsort(keys, kind='stable')
    body_lens = np.array([len(b) for b in bodies])
    full_lens = np.array([len(b) for b in fulls])
    return dict(exact=np.array(exact, dtype=np.uint64), sig=minhash.signatures(sigs_sh),
                body_keys=np.array(body_keys, dtype=np.uint64), body_ids=np.array(body_ids, dtype=np.int32),
                body_flat=np.concatenate(bodies), body_offs=np.concatenate(([0], np.cumsum(body_lens))),
                full_flat=np.concatenate(fulls), full_offs=np.concatenate(([0], np.cumsum(full_lens))),
                pos_keys=keys[order], pos_ids=np.concatenate(all_ids)[order], pos_pos=np.concatenate(all_pos)[order])


def exact_hash(toks: List[str]) -> int:
    return int.from_bytes(hashlib.blake2b(' '.join(toks).encode('utf-8', 'surrogatepass'), digest_size=8).digest(), 'little')


def near_shingles(toks: List[str], hasher: minhash.TokenHasher) -> np.ndarray:
    """A unit's MinHash shingles, identifiers renamed by first appearance so that a renamed copy still matches."""
    return minhash.ngram_hashes(hasher(normalize.rename_identifiers(toks)))


def eval_overlaps(units: List[List[str]], hasher: minhash.TokenHasher, index: dict, lsh: minhash.LshIndex) -> List[Optional[str]]:
    """Why each unit (its normalized tokens) overlaps the eval sets (a name from OVERLAP_REASONS), by the overlap stage's
    rules, or None where it does not. One LSH lookup for all of them: a lookup costs milliseconds however few rows it has."""
    near = {row for row, _, _ in lsh.query(minhash.signatures([near_shingles(toks, hasher) for toks in units]))}
    reasons: List[Optional[str]] = []
    for row, toks in enumerate(units):
        if exact_hash(toks) in index['exact_set']:
            reasons.append(OVERLAP_REASONS[1])
        elif row in near:
            reasons.append(OVERLAP_REASONS[2])
        else:
            direction = containment(hasher(toks), index)[1]
            reasons.append(OVERLAP_REASONS[2 + direction] if direction else None)
    return reasons


# ----------------------------------------------------------------------------- feature workers

_EV = None
_TH = None


def load_eval_index(eval_path: str) -> dict:
    """The eval index `containment` reads (written by the features stage: work/eval_index.npz)."""
    z = np.load(eval_path)
    return prepared_eval_index({k: z[k] for k in z.files})


def prepared_eval_index(arrays: Dict[str, np.ndarray]) -> dict:
    """The eval index's arrays with the lookup sets `containment` and `eval_overlaps` read."""
    index = dict(arrays)
    index['body_key_set'] = np.unique(index['body_keys'])
    index['exact_set'] = set(index['exact'].tolist())
    return index


def _worker_init(eval_path: str) -> None:
    global _EV, _TH
    _EV = load_eval_index(eval_path)
    _TH = minhash.TokenHasher()


def containment(raw: np.ndarray, ev: dict) -> Tuple[int, int]:
    """(eval item, 1) when the unit's token hashes contain an eval body; (eval item, 2) when the
    unit (>= MIN_CONTAIN_TOKENS tokens) lies inside an eval item; (-1, 0) otherwise."""
    n = len(raw)
    if n >= minhash.SHINGLE:
        g = minhash.ngram_hashes(raw)
        hits = np.nonzero(np.isin(g, ev['body_key_set']))[0]
        if len(hits):
            bk, bo, bf = ev['body_keys'], ev['body_offs'], ev['body_flat']
            for pos in hits.tolist():
                for j in np.nonzero(bk == g[pos])[0].tolist():
                    e = int(ev['body_ids'][j])
                    body = bf[bo[e]:bo[e + 1]]
                    if pos + len(body) <= n and np.array_equal(raw[pos:pos + len(body)], body):
                        return e, 1
        if n >= MIN_CONTAIN_TOKENS:
            keys = ev['pos_keys']
            lo, hi = np.searchsorted(keys, g[0], 'left'), np.searchsorted(keys, g[0], 'right')
            fo, ff = ev['full_offs'], ev['full_flat']
            for k in range(lo, hi):
                e, pos = int(ev['pos_ids'][k]), int(ev['pos_pos'][k])
                full = ff[fo[e]:fo[e + 1]]
                if pos + n <= len(full) and np.array_equal(full[pos:pos + n], raw):
                    return e, 2
    return -1, 0


def _features_one(args: Tuple[str, str]) -> str:
    units_file, out_file = args
    t0 = time.time()
    exact, ntok, cid, cdir, split, shingles = [], [], [], [], [], []
    with open(units_file, encoding='utf-8', errors='surrogateescape') as f:
        for line in f:
            u = json.loads(line)
            toks = normalize.tokens(u['text'], u['language'])
            exact.append(exact_hash(toks))
            ntok.append(len(toks))
            raw = _TH(toks)
            shingles.append(near_shingles(toks, _TH))
            e, d = containment(raw, _EV)
            cid.append(e)
            cdir.append(d)
            split.append(0 if u['split'] == 'train' else 1)
    sig = minhash.signatures(shingles)
    out = Path(out_file)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.stem + '.tmp.npz')
    np.savez(tmp, exact=np.array(exact, dtype=np.uint64), sig=sig, ntok=np.array(ntok, dtype=np.int32),
             cid=np.array(cid, dtype=np.int32), cdir=np.array(cdir, dtype=np.int8), split=np.array(split, dtype=np.int8))
    tmp.rename(out)
    return '%s: %d units in %.1f s' % (out.stem, len(exact), time.time() - t0)


# ----------------------------------------------------------------------------- main

def argument_parser() -> argparse.ArgumentParser:
    default_data = os.environ.get('ASTROLABE_DATA') or str(Path('~/.cache/astrolabe/corpus').expanduser())
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--data-dir', default=default_data, help='where everything is written (default: $ASTROLABE_DATA or ~/.cache/astrolabe/corpus)')
    ap.add_argument('--packages', default=str(HERE / 'packages.toml'), help='the package list')
    ap.add_argument('--add-packages', action='append', default=[], metavar='TOML',
                    help='a list of packages to add to --packages (repeatable), e.g. packages-python-extra.toml')
    ap.add_argument('--eval-dir', default=str(EVAL_DIR_DEFAULT), help='the shared eval folder (read in place)')
    ap.add_argument('--jobs', type=int, default=2, help='parallel chunker/feature workers')
    ap.add_argument('--stages', default='', help='comma-separated subset of: ' + ','.join(STAGES))
    ap.add_argument('--force', default='', help='comma-separated stages among dedup,overlap,output to redo even if done')
    ap.add_argument('--only', default='', help='regex: only packages whose name matches (for trials)')
    ap.add_argument('--pin', action='store_true', help='rewrite packages.toml with the versions fetched, then exit')
    return ap


def main(argv=None) -> None:
    args = argument_parser().parse_args(argv)
    data = Path(args.data_dir).expanduser().resolve()
    if str(data).startswith(str(REPO) + os.sep):
        raise SystemExit('the data dir must be outside the repository')
    data.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(message)s', datefmt='%H:%M:%S',
                        handlers=[logging.StreamHandler(sys.stdout), logging.FileHandler(data / 'build.log')])
    b = Build(args)
    if args.pin:
        b.pin()
        return
    log.info('corpus build: data dir %s, %d packages, jobs %d', data, len(b.packages), args.jobs)
    b.run()


if __name__ == '__main__':
    main()
