"""(question, code) pairs from Debian's Sphinx documentation packages (python3.11-doc and the like).

The corpus's own pairs are docstring summaries with the code they document; web questions (CoSQA) are
phrased differently: "how to read a file line by line", "check if a path exists". Documentation pages
carry that phrasing next to code: the sentence that introduces an example ("To read a file line by
line, loop over the file object::"), the section heading above it ("How do I copy a file?"), and an
API entry's first sentence ("Return True if path refers to an existing path.") with its signature.
This reads the reST sources Sphinx ships in `_sources/` and writes one JSON line per pair:
{package, file, kind: example | heading | api, query, code}. `dist/tokenizer.js pairs --example-pairs`
tokenizes them beside the mined pairs.

Every pair's code is checked against the eval sets (the corpus's eval index: CoSQA, POJ-104) by the corpus's
overlap rules and dropped when it equals (normalized) an eval item, is a near-duplicate of one (MinHash), contains
one's body or lies inside one; a query equal to a CoSQA query is dropped too.

    /usr/bin/python3 training/corpus/doc_pairs.py --data-dir $DATA/docs --out $DATA/docs/pairs.jsonl
"""
import argparse
import ast
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from corpus import build, minhash, normalize, sources  # noqa: E402

HEADING_MARKS = set('=-~^"\'*+#`:.')
DIRECTIVE = re.compile(r'^\.\.\s+([\w:-]+)::\s*(.*)$')
API_DIRECTIVES = {'function', 'method', 'class', 'exception', 'data', 'attribute', 'classmethod', 'staticmethod',
                  'decorator', 'decoratormethod', 'coroutinefunction', 'coroutinemethod', 'abstractmethod',
                  'py:function', 'py:method', 'py:class', 'py:exception', 'py:data', 'py:attribute'}
CODE_DIRECTIVES = {'code-block', 'sourcecode', 'code', 'testcode', 'doctest', 'ipython', 'jupyter-execute', 'plot'}
PYTHON_LANGUAGES = {'', 'python', 'python3', 'py', 'py3', 'pycon', 'pycon3', 'default', 'python3-console'}
# Headings that say nothing about what the code under them does.
GENERIC_HEADING = re.compile(r'^(?:examples?|usage|notes?|introduction|overview|example usage|basic usage|recipes|'
                             r'api|reference|functions|classes|methods|constants|see also)$', re.I)
MAX_QUERY_WORDS = 48
MAX_CODE_LINES = 60


def plain_text(rest: str) -> str:
    """reST inline markup to the words a reader sees: roles, literals, links, emphasis."""
    text = re.sub(r':[\w:+-]+:`~?!?([^`<]*?)\s*<[^>]*>`', r'\1', rest)           # :ref:`words <target>`
    text = re.sub(r':[\w:+-]+:`~([^`]*?)`', lambda m: m.group(1).split('.')[-1], text)  # :func:`~a.b.c` shows c
    text = re.sub(r':[\w:+-]+:`!?([^`]*?)`', r'\1', text)
    text = re.sub(r'``([^`]+)``', r'\1', text)
    text = re.sub(r'`([^`<]*?)\s*<[^>]*>`__?', r'\1', text)
    text = re.sub(r'`([^`]+)`_*', r'\1', text)
    text = re.sub(r'\[#\w*\]_|\[\d+\]_', '', text)
    text = re.sub(r'\*\*([^*]+)\*\*|\*([^*\s][^*]*)\*', lambda m: m.group(1) or m.group(2), text)
    text = re.sub(r'\|([^|\s][^|]*)\|', r'\1', text)
    return re.sub(r'\s+', ' ', text).strip()


def sentences(text: str) -> List[str]:
    return [s for s in re.split(r'(?<=[.!?])\s+(?=[A-Z(])', text) if s]


def leading_sentence(text: str) -> str:
    """The first sentence, or the first two when the first is too short to say anything."""
    parts = sentences(text)
    query = parts[0] if parts else ''
    if len(query.split()) < 4 and len(parts) > 1:
        query += ' ' + parts[1]
    return query


def closing_sentences(text: str) -> str:
    """The sentence that introduces the code below it ("To do X, use Y:"), with the one before it when too short."""
    parts = sentences(text.rstrip(':').rstrip())
    query = ''
    for part in reversed(parts):
        query = (part + ' ' + query).strip()
        if len(query.split()) >= 6:
            break
    return query


def usable_query(query: str) -> Optional[str]:
    query = query.strip()
    words = query.split()
    if len(words) < 3 or not re.search(r'[a-z]{3}', query, re.I):
        return None
    return ' '.join(words[:MAX_QUERY_WORDS])


def console_code(lines: List[str]) -> str:
    """An interactive session's input: prompts stripped, output dropped."""
    kept = [line[4:] if len(line) > 3 else '' for line in (l.strip('\n') for l in lines) if line.lstrip().startswith(('>>>', '...'))]
    return textwrap.dedent('\n'.join(line.rstrip() for line in kept))


def python_code(code: str) -> Optional[str]:
    """The code when it is a Python example worth learning from: it parses, and does something (a call,
    an assignment, a definition, an import, a loop); shell commands, output and C fail here."""
    code = code.strip('\n')
    if not code.strip() or code.count('\n') >= MAX_CODE_LINES:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')      # "invalid escape sequence" and the like in prose taken for code
            tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return None
    does = (ast.Call, ast.Assign, ast.AugAssign, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import,
            ast.ImportFrom, ast.For, ast.While, ast.With, ast.Try)
    return code if any(isinstance(node, does) for node in ast.walk(tree)) else None


def block_end(lines: List[str], start: int, indent: int) -> int:
    """The first line from `start` that is not blank and not indented deeper than `indent`."""
    i = start
    while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent):
        i += 1
    return i


def is_heading(lines: List[str], i: int) -> bool:
    if i + 1 >= len(lines):
        return False
    text, mark = lines[i].rstrip(), lines[i + 1].rstrip()
    return (bool(text.strip()) and not text.startswith(' ') and len(mark) >= max(3, len(text.strip()))
            and len(set(mark)) == 1 and mark[0] in HEADING_MARKS)


class Page:
    """One reST source page, read top to bottom, yielding (kind, query, code)."""

    def __init__(self, text: str) -> None:
        self.lines = text.replace('\t', '        ').split('\n')
        self.module = ''
        self.highlight = 'python'

    def pairs(self) -> Iterator[Tuple[str, str, str]]:
        yield from self.scan(self.lines, heading='', owner='')

    def scan(self, lines: List[str], heading: str, owner: str) -> Iterator[Tuple[str, str, str]]:
        prose = ''          # the last paragraph read: what introduces the next code
        heading_used = False
        i = 0
        while i < len(lines):
            line = lines[i]
            if not line.strip():
                i += 1
                continue
            indent = len(line) - len(line.lstrip())
            stripped = line.strip()
            if is_heading(lines, i):
                # Section numbers ("2.8. Rename Table") are not words anyone searches with.
                heading, heading_used, prose = re.sub(r'^\d+(?:\.\d+)*\.?\s+', '', plain_text(stripped)), False, ''
                i += 2
                continue
            if len(set(stripped)) == 1 and stripped[0] in HEADING_MARKS and len(stripped) >= 3:
                i += 1          # an overline
                continue
            directive = DIRECTIVE.match(stripped)
            if directive:
                name, argument = directive.group(1), directive.group(2).strip()
                end = block_end(lines, i + 1, indent)
                body = textwrap.dedent('\n'.join(lines[i + 1:end])).split('\n')
                i = end
                if name in ('module', 'currentmodule', 'py:module', 'py:currentmodule'):
                    self.module = '' if argument == 'None' else argument
                elif name == 'highlight':
                    self.highlight = argument.lower()
                elif name in CODE_DIRECTIVES:
                    language = argument.lower() if name in ('code-block', 'sourcecode', 'code') else 'python'
                    if name == 'ipython':
                        # IPython's pseudo-decorators (@savefig, @suppress) are not code; prompts may be IPython's own.
                        body = [re.sub(r'^(?:In \[\d*\]: |\s+\.\.\.: ?)', '', l) for l in body if not re.match(r'^\s*@\w+', l)]
                    if language in PYTHON_LANGUAGES:
                        code = self.example_code(body, console=language.startswith('pycon') or name == 'doctest')
                        yield from self.example(code, prose, heading, not heading_used)
                        heading_used = heading_used or code is not None
                elif name in API_DIRECTIVES:
                    yield from self.api_entry(name.split(':')[-1], argument, body, owner)
                elif name not in ('index', 'toctree', 'only', 'raw', 'image', 'figure', 'productionlist', 'literalinclude'):
                    yield from self.scan(body, heading, owner)   # notes, tips, seealso: their own prose and code
                continue
            if stripped.startswith('>>>'):
                end = i
                while end < len(lines) and lines[end].strip():
                    end += 1
                code = python_code(console_code(lines[i:end]))
                yield from self.example(code, prose, heading, not heading_used)
                heading_used = heading_used or code is not None
                i = end
                continue
            end = i
            while end < len(lines) and lines[end].strip() and not DIRECTIVE.match(lines[end].strip()):
                end += 1
            paragraph = ' '.join(l.strip() for l in lines[i:end])
            i = end
            if paragraph.endswith('::'):
                literal_end = block_end(lines, i, indent)
                block = textwrap.dedent('\n'.join(lines[i:literal_end])).split('\n')
                i = literal_end
                introduction = paragraph[:-2].strip() or prose
                if self.highlight in PYTHON_LANGUAGES:
                    console = any(l.lstrip().startswith('>>>') for l in block)
                    code = self.example_code(block, console=console)
                    yield from self.example(code, plain_text(introduction), heading, not heading_used)
                    heading_used = heading_used or code is not None
                prose = plain_text(introduction)
            else:
                prose = plain_text(paragraph)

    @staticmethod
    def example_code(body: List[str], console: bool) -> Optional[str]:
        # A directive's options (":linenos:", ":caption: ...") open its body; they are not code.
        body = [l for l in body if not re.match(r'^:[\w-]+:', l)] if body and re.match(r'^:[\w-]+:', body[0]) else body
        if console or any(l.lstrip().startswith('>>>') for l in body[:3]):
            return python_code(console_code(body))
        return python_code('\n'.join(body))

    @staticmethod
    def example(code: Optional[str], prose: str, heading: str, heading_free: bool) -> Iterator[Tuple[str, str, str]]:
        if code is None:
            return
        query = usable_query(closing_sentences(prose)) if prose else None
        if query:
            yield 'example', query, code
        # A heading names what its section's first example shows; later examples show variations.
        if heading_free and heading and not GENERIC_HEADING.match(heading.rstrip('?.: ')):
            title = usable_query(heading) if len(heading.split()) >= 3 else None
            if title:
                yield 'heading', title, code

    def api_entry(self, kind: str, argument: str, body: List[str], owner: str) -> Iterator[Tuple[str, str, str]]:
        """An API entry: its first sentence, and its signatures written as a call with the module named (and
        the entry's first interactive example, when it has one)."""
        head_end = next((k for k, l in enumerate(body) if not l.strip()), len(body))
        signatures = [s for s in [argument] + [l.strip() for l in body[:head_end]] if s and not s.startswith(':')]
        rest = body[head_end:]
        name = re.match(r'[\w.]+', signatures[0]) if signatures else None
        if not name:
            return
        short = name.group(0)
        prefix = owner if kind in ('method', 'attribute', 'classmethod', 'staticmethod', 'coroutinemethod',
                                   'abstractmethod', 'decoratormethod') and owner else self.module

        def qualify(signature: str) -> str:
            if not prefix or signature.startswith(prefix + '.'):
                return signature
            if signature.startswith(prefix.rsplit('.', 1)[-1] + '.'):   # a method named as Class.method inside its class
                return prefix.rsplit('.', 1)[0] + '.' + signature if '.' in prefix else signature
            return prefix + '.' + signature

        calls = [qualify(s) for s in signatures]
        if kind == 'decorator':
            calls = ['@' + call for call in calls]
        description = []
        for l in rest:
            if l.strip().startswith(':') and not description:
                continue
            if not l.strip():
                if description:
                    break
                continue
            if DIRECTIVE.match(l.strip()):
                break
            description.append(l.strip())
        query = usable_query(leading_sentence(plain_text(' '.join(description))))
        example = None
        for k, l in enumerate(rest):
            if l.lstrip().startswith('>>>'):
                end = k
                while end < len(rest) and rest[end].strip():
                    end += 1
                example = python_code(console_code(rest[k:end]))
                break
        if query:
            yield 'api', query, '\n'.join(calls + ([example] if example else []))
        inner = qualify(short) if kind in ('class', 'exception') else owner
        yield from self.scan(rest, heading='', owner=inner)


def source_pages(root: Path) -> List[Path]:
    """Sphinx's copies of the reST sources (`_sources/**/*.rst.txt` or `*.txt`), in a stable order."""
    return sorted(p for p in root.rglob('*.txt') if '_sources' in p.parts and p.is_file() and not p.is_symlink())


def fetch(apt: 'sources.Apt', packages: List[str], downloads: Path, unpacked: Path) -> dict:
    """Each package's reST sources and copyright unpacked under unpacked/<package> (kept between runs):
    one apt-cache call and one apt-get download for all, then dpkg-deb | tar for the files needed.
    {package: (version, license)}; a package without `_sources` stays as an empty folder."""
    downloads.mkdir(parents=True, exist_ok=True)
    todo = [name for name in packages if not (unpacked / name / 'VERSION').is_file()]
    versions = {}
    if todo:
        for record in apt.cache(['show', '--no-all-versions'] + todo).split('\n\n'):
            name, version = re.search(r'^Package:\s*(\S+)', record, re.M), re.search(r'^Version:\s*(\S+)', record, re.M)
            if name and version:
                versions[name.group(1)] = version.group(1)
        deb = lambda name: sources.downloaded_deb(downloads, name, versions[name])  # noqa: E731
        missing = [name for name in todo if deb(name) is None]
        if missing:
            apt.get(['download'] + ['%s=%s' % (name, versions[name]) for name in missing], cwd=downloads)
        for name in todo:
            work = unpacked / (name + '.tmp')
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
            # Only the reST sources and the copyright: a documentation package is mostly HTML, images and JavaScript.
            tar = subprocess.run('dpkg-deb --fsys-tarfile %s | tar -x -C %s --wildcards "*/_sources/*" "*/copyright"'
                                 % (shlex.quote(str(deb(name))), shlex.quote(str(work))), shell=True, capture_output=True, text=True)
            if tar.returncode not in (0, 2):   # 2: a pattern matched nothing
                raise RuntimeError('%s: %s' % (name, tar.stderr.strip()))
            (work / 'VERSION').write_text(versions[name])
            shutil.rmtree(unpacked / name, ignore_errors=True)
            work.rename(unpacked / name)
    found = {}
    for name in packages:
        copyrights = sorted((unpacked / name).glob('usr/share/doc/*/copyright'))
        license_name = sources.license_from_copyright(copyrights[0].read_text(errors='replace')) if copyrights else 'unknown'
        found[name] = ((unpacked / name / 'VERSION').read_text().strip(), license_name)
    return found


class EvalFilter:
    """Why (question, code) pairs overlap the eval sets: code that overlaps an eval item by the corpus's overlap rules
    (build.eval_overlaps: the same normalized code, a near-duplicate, code that contains an eval body or lies inside
    an item), or a question that is a CoSQA query."""

    def __init__(self, index: dict, cosqa_queries: Iterable[str]) -> None:
        self.index = index
        self.lsh = minhash.LshIndex(index['sig'])
        self.hasher = minhash.TokenHasher()
        self.queries = {self.key(query) for query in cosqa_queries}

    @staticmethod
    def key(query: str) -> str:
        return ' '.join(re.findall(r'\w+', query.lower()))

    def overlaps(self, pairs: List[Tuple[str, str]]) -> List[Optional[str]]:
        """Each pair's reason to be dropped ('query' or an overlap reason), or None to keep it; checked in bulk."""
        code_reasons = build.eval_overlaps([normalize.tokens(code, 'python') for _, code in pairs], self.hasher, self.index, self.lsh)
        return ['query' if self.key(query) in self.queries else reason for (query, _), reason in zip(pairs, code_reasons)]


def main(argv=None) -> None:
    default_data = Path('~/.cache/astrolabe').expanduser()
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--data-dir', type=Path, default=default_data / 'docs', help='downloads and unpacked packages')
    parser.add_argument('--packages', nargs='+', default=[], help='Debian documentation packages')
    parser.add_argument('--package-list', type=Path, default=Path(__file__).with_name('doc-packages.txt'),
                        help='a file naming one package per line (# comments); used when --packages is not given')
    parser.add_argument('--out', type=Path, required=True, help='pairs JSONL')
    parser.add_argument('--corpus-dir', type=Path, default=default_data / 'corpus',
                        help="the corpus build's data dir: its apt state and eval index (work/eval_index.npz)")
    parser.add_argument('--eval-dir', type=Path, default=Path(__file__).resolve().parents[3] / 'shared' / 'eval')
    args = parser.parse_args(argv)

    packages = args.packages or [line.split('#')[0].strip() for line in args.package_list.read_text().splitlines() if line.split('#')[0].strip()]
    index = args.corpus_dir / 'work' / 'eval_index.npz'
    if not index.is_file():
        raise SystemExit('%s: no eval index; run training/corpus/build.py first (its features stage writes it)' % index)
    settings, _ = build.load_packages([Path(__file__).with_name('packages.toml')])
    apt = sources.Apt(args.corpus_dir, settings)
    apt.update()
    cosqa_queries = json.loads((args.eval_dir / 'cosqa' / 'cosqa-retrieval-dev-500.json').read_text())
    evals = EvalFilter(build.load_eval_index(str(index)), [query['doc'] for query in cosqa_queries])
    fetched = fetch(apt, packages, args.data_dir / 'downloads', args.data_dir / 'packages')
    seen = set()
    counts = {}
    dropped: Dict[str, int] = {'query': 0}
    manifest = []
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + '.tmp')
    with open(tmp, 'w', encoding='utf-8') as out:
        for package in packages:
            version, license_name = fetched[package]
            root = args.data_dir / 'packages' / package
            pages, written = source_pages(root), 0
            found = []  # (page, kind, query, code), the package's pairs in page order
            for page in pages:
                try:
                    found += [(page, kind, query, code) for kind, query, code in Page(page.read_text(encoding='utf-8')).pairs()]
                except (UnicodeDecodeError, RecursionError) as error:
                    print('%s: skipped (%s)' % (page, type(error).__name__), file=sys.stderr)
            # One eval check per package: checked pair by pair, the near-duplicate lookup took most of the run.
            unchecked = list(dict.fromkeys((query, code) for _, _, query, code in found if (query, code) not in seen))
            reasons = dict(zip(unchecked, evals.overlaps(unchecked)))
            for page, kind, query, code in found:
                if (query, code) in seen:
                    continue
                reason = reasons[(query, code)]
                if reason:
                    dropped[reason] = dropped.get(reason, 0) + 1
                    continue
                seen.add((query, code))
                counts[kind] = counts.get(kind, 0) + 1
                written += 1
                out.write(json.dumps({'package': package, 'version': version, 'license': license_name, 'file': str(page.relative_to(root)),
                                      'language': 'python', 'kind': kind, 'query': query, 'code': code}) + '\n')
            manifest.append({'package': package, 'version': version, 'license': license_name, 'pages': len(pages), 'pairs': written})
        out.flush()
        os.fsync(out.fileno())
    tmp.replace(args.out)
    # Provenance: every package read, with its version and license, and how many pairs it gave.
    build.write_json(args.out.with_suffix('.manifest.json'), {'packages': manifest, 'pairs': counts, 'dropped': dropped})
    print('%d packages, %d with pairs: %s; dropped for eval overlap: %s' % (
        len(manifest), sum(1 for m in manifest if m['pairs']), json.dumps(counts), json.dumps(dropped)), file=sys.stderr)


if __name__ == '__main__':
    main()
