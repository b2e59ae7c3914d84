"""Stage 1 of the corpus build: fetch packages (Debian binary and source packages through a
private apt state in the data dir, npm tarballs through `npm pack`) and extract their code.

Every package ends up as a folder of code files only (``src/<source>/<package>/``) plus a state
record (``state/sources/<source>/<package>.json``) with the version actually fetched, the license
read from the package, and the code root the chunker should scan.
"""
from __future__ import annotations

import functools
import glob
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import urllib.request
from pathlib import Path
from typing import List, Optional, Tuple

CODE_EXTENSIONS = frozenset('''.py .pyi .pyw .js .mjs .cjs .jsx .ts .mts .cts .tsx .java .go .rs
.c .h .cc .cpp .cxx .c++ .hh .hpp .hxx .h++ .ipp'''.split())
KEEP_NAMES = frozenset(['.gitignore'])


def safe_name(name: str) -> str:
    """A package name usable as a file name (npm scopes: '@a/b' -> 'a__b')."""
    return name.lstrip('@').replace('/', '__')


def is_code(path: str) -> bool:
    base = os.path.basename(path)
    if base in KEEP_NAMES:
        return True
    ext = os.path.splitext(base)[1].lower()
    return ext in CODE_EXTENSIONS


def _run(cmd: List[str], cwd: Optional[Path] = None, timeout: int = 900) -> str:
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError('%s failed (%d): %s' % (' '.join(cmd[:3]), p.returncode, (p.stderr or p.stdout).strip()[-800:]))
    return p.stdout


# ----------------------------------------------------------------------------- apt

class Apt:
    """apt-get/apt-cache with a private configuration and state under <data>/apt, so neither the
    machine's sources nor its package lists are touched."""

    def __init__(self, data_dir: Path, settings: dict) -> None:
        self.root = data_dir / 'apt'
        self.settings = settings
        parts = self.root / 'sources.list.d'
        for d in (parts, self.root / 'lists' / 'partial', self.root / 'cache' / 'archives' / 'partial'):
            d.mkdir(parents=True, exist_ok=True)
        text = ''
        for uri, suites in ((settings['debian_uri'], settings['debian_suites']),
                            (settings['debian_security_uri'], settings['debian_security_suites'])):
            text += ('Types: deb deb-src\nURIs: %s\nSuites: %s\nComponents: main\n'
                     'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n') % (uri, ' '.join(suites))
        f = parts / 'corpus.sources'
        if not f.exists() or f.read_text() != text:
            f.write_text(text)
        self.opts = ['-o', 'Dir::Etc::SourceList=/dev/null', '-o', 'Dir::Etc::SourceParts=%s' % parts,
                     '-o', 'Dir::State::Lists=%s' % (self.root / 'lists'), '-o', 'Dir::Cache=%s' % (self.root / 'cache'),
                     '-o', 'Debug::NoLocking=1']
        if os.geteuid() == 0:
            # downloads land in folders the _apt sandbox user cannot write to
            self.opts += ['-o', 'APT::Sandbox::User=root']

    def update(self, force: bool = False) -> None:
        if force or not any((self.root / 'lists').glob('*Sources*')):
            _run(['apt-get'] + self.opts + ['update'], timeout=900)

    def get(self, args: List[str], cwd: Path) -> str:
        return _run(['apt-get'] + self.opts + args, cwd=cwd)

    def cache(self, args: List[str]) -> str:
        return _run(['apt-cache'] + self.opts + args)


def _split_pin(entry: str, sep: str) -> Tuple[str, Optional[str]]:
    i = entry.rfind(sep)
    if i > 0:
        return entry[:i], entry[i + 1:]
    return entry, None


def parse_entry(source: str, entry: str) -> Tuple[str, Optional[str]]:
    return _split_pin(entry, '@' if source == 'npm' else '=')


# ----------------------------------------------------------------------------- licenses

def license_from_copyright(text: str) -> str:
    """An SPDX-ish license string from a Debian copyright file: the License of the `Files: *`
    paragraph in DEP-5 files, else the first License field, else a guess from the wording."""
    def short_name(v: str) -> bool:
        return bool(re.fullmatch(r'[\w.+()/~\- ]{1,80}', v)) and len(v.split()) <= 8

    paras = re.split(r'\n\s*\n', text)
    for p in paras:
        if re.search(r'^Files:\s*\*\s*$', p, re.M):
            m = re.search(r'^License:[ \t]*(.*)$', p, re.M)
            if m and short_name(m.group(1).strip()):
                return m.group(1).strip()
    m = re.search(r'^License:[ \t]*(.*)$', text, re.M)
    if m and short_name(m.group(1).strip()):
        return m.group(1).strip()
    if m:
        # free-form file: judge the wording right after its first License heading
        guess = _license_from_wording(text[m.end():m.end() + 1500])
        if guess:
            return guess
    return _license_from_wording(text) or 'unknown'


def _license_from_wording(text: str) -> Optional[str]:
    low = ' '.join(text.lower().split())
    best = None
    for needle, name in (('apache license', 'Apache-2.0'), ('lesser general public', 'LGPL'),
                         ('general public license', 'GPL'), ('python software foundation', 'PSF-2.0'),
                         ('mit license', 'MIT'), ('permission is hereby granted, free of charge', 'MIT'),
                         ('redistribution and use in source and binary forms', 'BSD'),
                         ('redistributions of source code must retain', 'BSD'),
                         ('hereby grants licensee a nonexclusive', 'PSF-style'),
                         ('permission to use, copy, modify', 'ISC-style'),
                         ('mozilla public license', 'MPL-2.0'), ('zlib license', 'Zlib'), ('public domain', 'public-domain'),
                         ('matplotlib license', 'Matplotlib (PSF-based)'), ('historical permission notice', 'HPND')):
        pos = low.find(needle)
        if pos >= 0 and (best is None or pos < best[0]):
            best = (pos, name)
    # the wording met first is most likely the package's own license
    return best[1] + ' (from text)' if best else None


def debian_copyright(data_dir: Path, source: str, name: str, version: str) -> Optional[str]:
    """The Debian copyright file of a fetched package, read again from its download."""
    try:
        if source == 'debian-source':
            pdir = data_dir / 'downloads' / 'debian-source' / name
            for t in sorted(pdir.glob('*.debian.tar.*')):
                with tarfile.open(t) as tf:
                    return tf.extractfile('debian/copyright').read().decode('utf-8', 'replace')
            for t in sorted(pdir.glob('*.tar.*')):  # a native package: debian/ is in its only tarball
                with tarfile.open(t) as tf:
                    for mem in tf:
                        if mem.isfile() and re.fullmatch(r'[^/]+/debian/copyright', mem.name.lstrip('./')):
                            return tf.extractfile(mem).read().decode('utf-8', 'replace')
            return None
        ver = version.split()[0]
        for p in glob.glob(str(data_dir / 'downloads' / 'debian-binary' / ('%s_*.deb' % name))):
            if os.path.basename(p).split('_')[1].replace('%3a', ':') != ver:
                continue
            tar = subprocess.run(['dpkg-deb', '--fsys-tarfile', p], stdout=subprocess.PIPE, check=True).stdout
            with tarfile.open(fileobj=io.BytesIO(tar)) as tf:
                for mem in tf.getmembers():
                    if mem.name.lstrip('./') == 'usr/share/doc/%s/copyright' % name and mem.isfile():
                        return tf.extractfile(mem).read().decode('utf-8', 'replace')
    except Exception:  # noqa: BLE001 - the license stays as recorded at fetch time
        return None
    return None


def npm_license(pkg_json: dict) -> str:
    lic = pkg_json.get('license') or pkg_json.get('licenses')
    if isinstance(lic, dict):
        lic = lic.get('type')
    if isinstance(lic, list):
        lic = ' OR '.join(str(x.get('type', x) if isinstance(x, dict) else x) for x in lic)
    return str(lic) if lic else 'unknown'


# ----------------------------------------------------------------------------- tree handling

def _under(rel: str, includes: List[str]) -> bool:
    return any(rel == p or rel.startswith(p.rstrip('/') + '/') for p in includes)


def select_files(rels: List[Tuple[str, int]], includes: List[str], cap_bytes: int) -> Tuple[List[str], List[str]]:
    """Which code files to keep: code extensions only, under `includes` when any of them matches
    something, and (in sorted path order) no more than cap_bytes in all. Returns (kept, notes)."""
    notes = []
    code = sorted((r, s) for r, s in rels if is_code(r))
    if includes:
        inc = [(r, s) for r, s in code if _under(r, includes)]
        if inc:
            code = inc
        else:
            notes.append('include paths %s matched nothing; kept the whole package' % includes)
    kept, total = [], 0
    for r, s in code:
        if os.path.basename(r) in KEEP_NAMES:
            kept.append(r)
            continue
        if total + s > cap_bytes:
            notes.append('code capped at %d MB' % (cap_bytes >> 20))
            break
        total += s
        kept.append(r)
    return kept, notes


def extract_tar(tar_path: Path, dest: Path, includes: List[str], cap_bytes: int, prefix: str = '',
                fallback_all: bool = True) -> Tuple[int, List[str]]:
    """Extract the selected code files of a tarball into dest (its first path component stripped,
    `prefix` put in front); returns (files extracted, notes)."""
    with tarfile.open(tar_path) as tf:
        members = {}
        for m in tf.getmembers():
            if not m.isfile():
                continue
            parts = m.name.lstrip('./').split('/', 1)
            if len(parts) < 2 or '..' in parts[1].split('/'):
                continue
            members[prefix + parts[1]] = m
        kept, notes = select_files([(r, m.size) for r, m in members.items()], includes, cap_bytes)
        if includes and notes and 'matched nothing' in notes[0] and not fallback_all:
            return 0, []
        # in archive order: a compressed tarball cannot seek backwards without decompressing again
        for r in sorted(kept, key=lambda r: members[r].offset_data):
            out = dest / r
            out.parent.mkdir(parents=True, exist_ok=True)
            src = tf.extractfile(members[r])
            with open(out, 'wb') as f:
                shutil.copyfileobj(src, f)
    return len(kept), notes


def prune_tree(root: Path, includes: List[str], cap_bytes: int) -> List[str]:
    """Delete everything under root that select_files would not keep (and empty folders)."""
    rels = []
    for dirpath, dirs, files in os.walk(root):
        for d in list(dirs):
            if (Path(dirpath) / d).is_symlink():
                (Path(dirpath) / d).unlink()
                dirs.remove(d)
        for f in files:
            p = Path(dirpath) / f
            if p.is_symlink() or not p.is_file():
                p.unlink()
                continue
            rels.append((str(p.relative_to(root)), p.stat().st_size))
    kept, notes = select_files(rels, includes, cap_bytes)
    keep = set(kept)
    for r, _ in rels:
        if r not in keep:
            (root / r).unlink()
    for dirpath, dirs, files in os.walk(root, topdown=False):
        if dirpath != str(root) and not os.listdir(dirpath):
            os.rmdir(dirpath)
    return notes


def code_root(root: Path) -> Path:
    """The deepest folder that holds every file of the tree (so unit paths stay short)."""
    cur = root
    while True:
        entries = list(cur.iterdir())
        if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink():
            cur = entries[0]
        else:
            return cur


def tree_stats(root: Path) -> Tuple[int, int]:
    files = total = 0
    for dirpath, _, names in os.walk(root):
        for f in names:
            if os.path.basename(f) in KEEP_NAMES or os.path.islink(os.path.join(dirpath, f)):
                continue
            files += 1
            total += os.path.getsize(os.path.join(dirpath, f))
    return files, total


# ----------------------------------------------------------------------------- fetchers

def downloaded_deb(dl: Path, name: str, version: str) -> Optional[Path]:
    """The .deb of `name` at `version` in dl, if downloaded (apt-get download names it name_<version, ':' as %3a>_arch.deb)."""
    return next((Path(p) for p in glob.glob(str(dl / ('%s_*.deb' % name)))
                 if os.path.basename(p).split('_')[1].replace('%3a', ':') == version), None)


def fetch_debian_binary(apt: Apt, names: List[str], pins: List[Optional[str]], dl: Path, dest: Path,
                        includes: List[str], cap: int) -> dict:
    dl.mkdir(parents=True, exist_ok=True)
    versions, licenses = [], []
    work = dest.with_name(dest.name + '.tmp')
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for name, pin in zip(names, pins):
        spec = '%s=%s' % (name, pin) if pin else name
        show = apt.cache(['show', '--no-all-versions', spec])
        ver = re.search(r'^Version:\s*(\S+)', show, re.M).group(1)
        fname = os.path.basename(re.search(r'^Filename:\s*(\S+)', show, re.M).group(1))
        for attempt in range(2):
            deb = downloaded_deb(dl, name, ver)
            if deb is None:
                apt.get(['download', '%s=%s' % (name, ver)], cwd=dl)
                deb = downloaded_deb(dl, name, ver)
                if deb is None:
                    raise RuntimeError('apt-get download produced no %s (%s)' % (fname, ver))
            try:
                _run(['dpkg-deb', '-x', str(deb), str(work)])
                break
            except RuntimeError:
                if attempt:
                    raise
                deb.unlink()  # a download cut short by an earlier kill: fetch it again
        cp = work / 'usr' / 'share' / 'doc' / name / 'copyright'
        if cp.is_file() and not cp.is_symlink():
            licenses.append(license_from_copyright(cp.read_text(errors='replace')))
        else:
            other = [Path(p) for p in glob.glob(str(work / 'usr/share/doc/*/copyright')) if os.path.isfile(p)]
            licenses.append(license_from_copyright(other[0].read_text(errors='replace')) if other else 'unknown')
        versions.append(ver)
    notes = prune_tree(work, includes, cap)
    if not any(work.iterdir()):
        shutil.rmtree(work)
        raise RuntimeError('no code files in the package')
    shutil.rmtree(dest, ignore_errors=True)
    work.rename(dest)
    return {'version': ' '.join(versions), 'license': ' + '.join(dict.fromkeys(licenses)), 'notes': notes}


def _vercmp(a: str, b: str) -> int:
    """dpkg's version order: -1, 0 or 1."""
    if a == b:
        return 0
    return 1 if subprocess.run(['dpkg', '--compare-versions', a, 'gt', b]).returncode == 0 else -1


def _showsrc_records(apt: Apt, name: str) -> List[dict]:
    """The index records of a source package: version, directory and (sha256, size, file) rows."""
    try:
        out = apt.cache(['showsrc', '--only-source', name])
    except RuntimeError:
        return []
    recs = []
    for para in re.split(r'\n\s*\n', out):
        v = re.search(r'^Version:\s*(\S+)', para, re.M)
        d = re.search(r'^Directory:\s*(\S+)', para, re.M)
        c = re.search(r'^Checksums-Sha256:\s*\n((?: .+\n?)+)', para, re.M)
        if v and d and c:
            files = [tuple(line.split()) for line in c.group(1).splitlines() if line.strip()]
            recs.append(dict(version=v.group(1), directory=d.group(1), files=[(h, int(n), f) for h, n, f in files]))
    return recs


def _download(urls: List[str], dest: Path, sha256: str, size: int) -> None:
    if dest.exists() and dest.stat().st_size == size:
        return
    last = None
    for url in urls:
        try:
            tmp = dest.with_name(dest.name + '.part')
            h = hashlib.sha256()
            with urllib.request.urlopen(url, timeout=120) as r, open(tmp, 'wb') as f:
                while True:
                    b = r.read(1 << 20)
                    if not b:
                        break
                    h.update(b)
                    f.write(b)
            if h.hexdigest() != sha256:
                tmp.unlink()
                raise RuntimeError('sha256 mismatch for %s' % url)
            tmp.rename(dest)
            return
        except Exception as e:  # noqa: BLE001 - try the next mirror
            last = e
    raise RuntimeError('%s: %s' % (dest.name, last))


def fetch_debian_source(apt: Apt, name: str, pin: Optional[str], dl: Path, dest: Path, includes: List[str], cap: int) -> dict:
    """Download a source package's files straight from the archive (sha256-checked against the
    signed index apt fetched). The newest version whose upstream tarballs are all available is
    used; a missing Debian tarball (.debian.tar.*) is tolerated (the license then comes from the
    upstream files)."""
    pdir = dl / name
    pdir.mkdir(parents=True, exist_ok=True)
    recs = _showsrc_records(apt, name)
    if pin:
        recs = [r for r in recs if r['version'] == pin]
    if not recs:
        raise RuntimeError('no source package %s%s in the index' % (name, '=' + pin if pin else ''))
    recs.sort(key=functools.cmp_to_key(lambda a, b: _vercmp(b['version'], a['version'])))
    mirrors = [apt.settings['debian_uri'], apt.settings['debian_security_uri']]
    errors = []
    chosen = None
    for rec in recs:
        ok = True
        for sha, size, f in rec['files']:
            if not re.search(r'\.(dsc|tar\.(gz|xz|bz2|lzma))$', f):
                continue
            urls = ['%s/%s/%s' % (m.rstrip('/'), rec['directory'], f) for m in mirrors]
            try:
                _download(urls, pdir / f, sha, size)
            except Exception as e:  # noqa: BLE001
                if '.debian.tar.' in f or f.endswith('.dsc'):
                    continue
                errors.append('%s: %s' % (rec['version'], str(e)[-200:]))
                ok = False
                break
        if ok:
            chosen = rec
            break
    if chosen is None:
        raise RuntimeError(' | '.join(errors))
    version = chosen['version']
    tars = sorted(f for _, _, f in chosen['files'] if re.search(r'\.tar\.(gz|xz|bz2|lzma)$', f) and (pdir / f).exists())
    work = dest.with_name(dest.name + '.tmp')
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    license_text = upstream_text = None
    notes: List[str] = []
    files = 0
    for t in tars:
        path = pdir / t
        if '.debian.tar.' in t:
            with tarfile.open(path) as tf:
                try:
                    license_text = tf.extractfile('debian/copyright').read().decode('utf-8', 'replace')
                except KeyError:
                    pass
            continue
        m = re.search(r'\.orig-([A-Za-z0-9-]+)\.tar\.', t)
        prefix = (m.group(1) + '/') if m else ''
        # a component tarball with nothing under the include paths adds nothing
        n, nt = extract_tar(path, work, includes, cap, prefix, fallback_all=not m)
        files += n
        notes += nt
        if license_text is None:
            with tarfile.open(path) as tf:
                for mem in tf:
                    if not mem.isfile():
                        continue
                    rel = mem.name.lstrip('./').split('/', 1)[-1]
                    if rel == 'debian/copyright':
                        license_text = tf.extractfile(mem).read().decode('utf-8', 'replace')
                        break
                    if upstream_text is None and re.fullmatch(r'(?i)(licen[sc]e|copying|copyright)(\.\w+)?', rel):
                        upstream_text = tf.extractfile(mem).read().decode('utf-8', 'replace')
    # native packages carry debian/ in their only tarball: it has no code we want
    if files == 0:
        shutil.rmtree(work)
        raise RuntimeError('no code files in the source package')
    if license_text is None:
        notes.append('no debian/copyright available; license read from the upstream files')
        license_text = upstream_text
    shutil.rmtree(dest, ignore_errors=True)
    work.rename(dest)
    return {'version': version, 'license': license_from_copyright(license_text) if license_text else 'unknown', 'notes': notes}


def fetch_npm(spec_name: str, pin: Optional[str], dl: Path, dest: Path, includes: List[str], cap: int) -> dict:
    dl.mkdir(parents=True, exist_ok=True)
    spec = '%s@%s' % (spec_name, pin) if pin else spec_name
    out = _run(['npm', 'pack', spec, '--pack-destination', str(dl), '--json', '--ignore-scripts'], cwd=dl)
    info = json.loads(out)[0]
    tgz = dl / info['filename']
    work = dest.with_name(dest.name + '.tmp')
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    n, notes = extract_tar(tgz, work, includes, cap)
    pkg_json = {}
    with tarfile.open(tgz) as tf:
        for m in tf.getmembers():
            if m.name.count('/') == 1 and m.name.endswith('/package.json'):
                pkg_json = json.loads(tf.extractfile(m).read().decode('utf-8', 'replace'))
                break
    if n == 0:
        shutil.rmtree(work)
        raise RuntimeError('no code files in the npm package')
    shutil.rmtree(dest, ignore_errors=True)
    work.rename(dest)
    return {'version': info['version'], 'license': npm_license(pkg_json), 'notes': notes}
