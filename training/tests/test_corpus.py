"""Tests of the training-corpus pipeline (training/corpus/). No network; a few seconds.

    /usr/bin/python3 -m unittest discover -s training/tests -p 'test_corpus*.py'
"""
from __future__ import annotations

import json
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from corpus import build, minhash, normalize, sources  # noqa: E402

ORIGINAL = '''def merge_intervals(intervals):
    """Merge overlapping intervals."""
    intervals = sorted(intervals, key=lambda pair: pair[0])
    merged = []
    for start, end in intervals:
        # extend the last interval when they overlap
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged
'''

# The same function, renamed and reformatted, with other comments and docstring.
RENAMED = '''def combine_ranges( spans ):
    spans = sorted(spans, key=lambda p: p[0])
    out = [ ]
    for lo, hi in spans:
        if out and lo <= out[-1][1]: out[-1][1] = max(out[-1][1], hi)   # overlap
        else:
            out.append([lo, hi])
    return out
'''

UNRELATED = '''def read_config(path, defaults=None):
    """Read a key=value file."""
    values = dict(defaults or {})
    with open(path) as handle:
        for line in handle:
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            key, _, value = line.partition('=')
            values[key.strip()] = value.strip()
    return values
'''

C_PROGRAM = '''int gcd(int a, int b) {
    /* Euclid */
    while (b != 0) { int t = a % b; a = b; b = t; }
    return a;
}
int main() { int x, y; scanf("%d %d", &x, &y); printf("%d\\n", gcd(x, y)); return 0; }
'''


def shingles(text: str, language: str = 'python') -> np.ndarray:
    th = minhash.TokenHasher()
    return minhash.ngram_hashes(th(normalize.rename_identifiers(normalize.tokens(text, language))))


class NormalizationTest(unittest.TestCase):
    def test_comments_and_whitespace(self):
        a = 'int f(int x) {  // add one\n    return x + 1; /* done */\n}'
        b = 'int f(int x){return x+1;}'
        self.assertEqual(normalize.normalized_text(a, 'c'), normalize.normalized_text(b, 'c'))
        self.assertEqual(normalize.normalized_text(b, 'c'), 'int f ( int x ) { return x + 1 ; }')

    def test_python_docstrings_and_comments_removed_strings_kept(self):
        toks = normalize.tokens('def f(a):\n    """Doc."""\n    # note\n    return "#not a comment" + a\n', 'python')
        self.assertEqual(toks, ['def', 'f', '(', 'a', ')', ':', 'return', '"#not a comment"', '+', 'a'])

    def test_c_preprocessor_hash_is_not_a_comment(self):
        self.assertEqual(normalize.tokens('#include <stdio.h>', 'c')[:2], ['#', 'include'])

    def test_rename_identifiers(self):
        toks = normalize.tokens(ORIGINAL, 'python')
        other = normalize.tokens(RENAMED, 'python')
        self.assertNotEqual(toks, other)
        self.assertEqual(normalize.rename_identifiers(toks), normalize.rename_identifiers(other))
        # short units keep their names; member names are never renamed
        self.assertEqual(normalize.rename_identifiers(['return', 'x']), ['return', 'x'])
        long = normalize.tokens('def f(a):\n    return a.total + a.count + ' + ' + '.join(['a.x'] * 5), 'python')
        self.assertIn('total', normalize.rename_identifiers(long))

    def test_python_body(self):
        toks = normalize.tokens('def f(a, b=(1, 2)):\n    """Doc."""\n    return a\n', 'python')
        self.assertEqual(normalize.python_body(toks), ['return', 'a'])


class MinHashTest(unittest.TestCase):
    def test_renamed_reformatted_copy_is_caught_unrelated_is_not(self):
        sig = minhash.signatures([shingles(ORIGINAL), shingles(RENAMED), shingles(UNRELATED)])
        self.assertGreaterEqual(minhash.jaccard_estimate(sig[0], sig[1]), minhash.THRESHOLD)
        self.assertLess(minhash.jaccard_estimate(sig[0], sig[2]), 0.3)
        drop, pairs = minhash.near_duplicates(sig)
        self.assertEqual(drop.tolist(), [False, True, False])
        self.assertEqual(pairs, 1)

    def test_partial_edit_estimate_tracks_jaccard(self):
        base = ' '.join('tok%d' % i for i in range(400))
        edited = ' '.join('tok%d' % i if i % 40 else 'zz%d' % i for i in range(400))
        th = minhash.TokenHasher()
        a = minhash.ngram_hashes(th(base.split()))
        b = minhash.ngram_hashes(th(edited.split()))
        true_j = len(set(a.tolist()) & set(b.tolist())) / len(set(a.tolist()) | set(b.tolist()))
        est = minhash.jaccard_estimate(*minhash.signatures([a, b]))
        self.assertAlmostEqual(est, true_j, delta=0.12)

    def test_deterministic_and_short_streams(self):
        s1 = minhash.signatures([shingles(ORIGINAL), shingles('x')])
        s2 = minhash.signatures([shingles(ORIGINAL), shingles('x')])
        self.assertTrue(np.array_equal(s1, s2))
        self.assertEqual(len(minhash.ngram_hashes(np.zeros(0, dtype=np.uint64))), 0)
        self.assertEqual(len(minhash.ngram_hashes(np.ones(3, dtype=np.uint64))), 1)

    def test_components_keep_lowest_row(self):
        sig = minhash.signatures([shingles(UNRELATED), shingles(ORIGINAL), shingles(RENAMED), shingles(ORIGINAL)])
        drop, _ = minhash.near_duplicates(sig)
        self.assertEqual(drop.tolist(), [False, False, True, True])

    def test_lsh_index_query(self):
        index = minhash.LshIndex(minhash.signatures([shingles(UNRELATED), shingles(ORIGINAL)]))
        hits = index.query(minhash.signatures([shingles(C_PROGRAM, 'c'), shingles(RENAMED)]))
        self.assertEqual([(r, i) for r, i, _ in hits], [(1, 1)])


class SplitTest(unittest.TestCase):
    def test_split_is_deterministic_and_about_five_percent(self):
        names = ['package-%d' % i for i in range(4000)]
        first = [build.split_of(n) for n in names]
        self.assertEqual(first, [build.split_of(n) for n in names])
        frac = first.count('valid') / len(first)
        self.assertTrue(0.035 < frac < 0.065, frac)

    def test_stdlib_split_by_top_level_module(self):
        a = build.unit_split(build.STDLIB, 'email/mime/text.py')
        self.assertEqual(a, build.unit_split(build.STDLIB, 'email/parser.py'))
        self.assertEqual(build.stdlib_module('os.py'), 'os')
        self.assertEqual(build.unit_split('python3-requests', 'a.py'), build.split_of('python3-requests'))


class SourcesTest(unittest.TestCase):
    def test_select_files(self):
        rels = [('src/a.ts', 10), ('src/b.js', 10), ('README.md', 5), ('dist/c.js', 10), ('src/d.py', 100)]
        kept, notes = sources.select_files(rels, ['src'], 30)
        self.assertEqual(kept, ['src/a.ts', 'src/b.js'])
        self.assertTrue(any('capped' in n for n in notes))
        kept, notes = sources.select_files(rels, ['nothing'], 1000)
        self.assertIn('dist/c.js', kept)

    def test_license_parsing(self):
        dep5 = 'Format: https://x\n\nFiles: *\nCopyright: me\nLicense: BSD-3-clause\n\nFiles: debian/*\nLicense: GPL-2+\n'
        self.assertEqual(sources.license_from_copyright(dep5), 'BSD-3-clause')
        self.assertEqual(sources.npm_license({'license': 'MIT'}), 'MIT')
        self.assertEqual(sources.npm_license({'license': {'type': 'ISC'}}), 'ISC')
        self.assertEqual(sources.parse_entry('npm', '@scope/pkg@1.2.3'), ('@scope/pkg', '1.2.3'))
        self.assertEqual(sources.parse_entry('npm', '@scope/pkg'), ('@scope/pkg', None))
        self.assertEqual(sources.parse_entry('debian-source', 'zlib=1:1.2.13.dfsg-1'), ('zlib', '1:1.2.13.dfsg-1'))


class PackageListTest(unittest.TestCase):
    def test_added_lists_join_the_same_groups(self):
        with tempfile.TemporaryDirectory() as tmp:
            base, extra, bad = Path(tmp) / 'base.toml', Path(tmp) / 'extra.toml', Path(tmp) / 'bad.toml'
            base.write_text('[settings]\nmax_code_mb = 1\n\n[debian-binary]\npython = ["pkg-a=1"]\nc = ["libc-x"]\n'
                            '\n[include]\n"pkg-a" = ["src"]\n')
            extra.write_text('[debian-binary]\npython = ["pkg-b=2", "pkg-c"]\n\n[include]\n"pkg-b" = ["lib"]\n')
            settings, packages = build.load_packages([base, extra])
            self.assertEqual(settings, {'max_code_mb': 1})
            self.assertEqual([(p.name, p.group) for p in packages], [('pkg-a', 'python'), ('pkg-b', 'python'), ('pkg-c', 'python'), ('libc-x', 'c')])
            self.assertEqual([p.include for p in packages[:3]], [['src'], ['lib'], []])
            with self.assertRaises(SystemExit):  # a package listed twice
                build.load_packages([base, extra, extra])
            bad.write_text('[settings]\nmax_code_mb = 5\n')
            with self.assertRaises(SystemExit):  # only the first list sets the settings
                build.load_packages([base, bad])


class UnitsStageTest(unittest.TestCase):
    """The units stage runs the real chunker (dist/cli.js, built by `npm test` before the Python tests)."""

    @unittest.skipUnless((build.REPO / 'dist' / 'cli.js').exists(), 'dist/cli.js is not built (npm run build)')
    def test_unit_text_with_unicode_line_separators_stays_one_unit(self):
        # Node's JSON keeps U+2028, U+2029 and U+0085 raw; a line split there once stopped the whole build.
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            (tmp / 'src').mkdir()
            text = 'def separators():\n    return "a\u2028b\u2029c\x85d"\n'
            (tmp / 'src' / 'seps.py').write_text(text, encoding='utf-8')
            toml = tmp / 'packages.toml'
            toml.write_text('[settings]\nmax_code_mb = 1\n\n[debian-binary]\npython = ["pkg-a"]\n')
            data = tmp / 'data'
            build.write_json(data / 'state' / 'sources' / 'debian-binary' / 'pkg-a.json',
                             dict(ok=True, source='debian-binary', package='pkg-a', group='python', version='1', license='MIT',
                                  path=str(tmp / 'src'), bytes=len(text), files=1))
            args = build.argument_parser().parse_args(['--data-dir', str(data), '--packages', str(toml), '--eval-dir', str(tmp / 'eval'),
                                                       '--jobs', '1', '--stages', 'units'])
            build.Build(args).run()
            lines = (data / 'units' / 'debian-binary' / 'pkg-a.jsonl').read_text(encoding='utf-8').split('\n')
            units = [json.loads(line) for line in lines if line]
            self.assertEqual([(u['name'], u['text']) for u in units], [('separators', text.rstrip('\n'))])


class PipelineTest(unittest.TestCase):
    """Stages features -> output on a synthetic corpus and synthetic eval sets."""

    def test_dedup_overlap_and_outputs(self):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            ev = tmp / 'eval'
            (ev / 'cosqa').mkdir(parents=True)
            (ev / 'poj104').mkdir()
            eval_fn = ('def eval_function(items):\n    """Sum of squares."""\n    total = 0\n'
                       '    for item in items:\n        total += item * item - 1\n        print(item, total)\n'
                       '    total = total % 1000003 + len(items)\n    return total\n')
            (ev / 'cosqa' / 'code_idx_map.txt').write_text(json.dumps({eval_fn: 0, UNRELATED: 1}))
            (ev / 'cosqa' / 'cosqa-retrieval-dev-500.json').write_text(json.dumps([{'idx': 'q0', 'code': eval_fn}]))
            (ev / 'poj104' / 'dev.jsonl').write_text(json.dumps({'label': '1', 'index': '0', 'code': C_PROGRAM}) + '\n')
            toml = tmp / 'packages.toml'
            toml.write_text('[settings]\nmax_code_mb = 1\n\n[debian-binary]\npython = ["pkg-a", "pkg-b"]\n')
            data = tmp / 'data'
            # eval_fn's body inside a class method with another name and docstring
            container = ('class Holder:\n    def other_name(self, items):\n        """Another docstring."""\n        total = 0\n'
                         '        for item in items:\n            total += item * item - 1\n            print(item, total)\n'
                         '        total = total % 1000003 + len(items)\n        return total\n')
            units = {
                'pkg-a': [('python', ORIGINAL), ('python', RENAMED), ('python', UNRELATED), ('python', '# only a comment\n'),
                          ('python', container)],
                'pkg-b': [('python', ORIGINAL), ('c', C_PROGRAM.split('int main')[0]), ('python', 'def ok(x):\n    return x * 3 + 7\n')],
            }
            for pkg, rows in units.items():
                st = dict(ok=True, source='debian-binary', package=pkg, group='python', version='1', license='MIT',
                          path=str(tmp), bytes=1, files=1)
                build.write_json(data / 'state' / 'sources' / 'debian-binary' / (pkg + '.json'), st)
                out = data / 'units' / 'debian-binary' / (pkg + '.jsonl')
                out.parent.mkdir(parents=True, exist_ok=True)
                with open(out, 'w') as f:
                    for i, (lang, text) in enumerate(rows):
                        f.write(json.dumps(dict(file='f%d.py' % i, language=lang, kind='function', name='u%d' % i,
                                                start_line=1, end_line=2, start_byte=0, end_byte=len(text), hash='',
                                                text=text, package=pkg, split=build.unit_split(pkg, 'f%d.py' % i))) + '\n')
            (data / 'manifest.jsonl').write_text(json.dumps(dict(source='debian-binary', package='pkg-a', group='python', ok=True, bytes=1, files=1)) + '\n')
            args = build.argument_parser().parse_args(['--data-dir', str(data), '--packages', str(toml), '--eval-dir', str(ev),
                                                       '--jobs', '1', '--stages', 'features,dedup,overlap,output'])
            build.Build(args).run()
            dedup = json.loads((data / 'work' / 'dedup.json').read_text())
            self.assertEqual(dedup['units_in'], 8)
            self.assertEqual(dedup['empty'], 1)
            self.assertEqual(dedup['exact_removed'], 1)   # ORIGINAL in pkg-b
            self.assertEqual(dedup['near_removed'], 1)    # RENAMED
            report = json.loads((data / 'overlap_report.json').read_text())
            # UNRELATED is an eval item (exact); the class contains eval_fn's body; gcd lies inside the POJ program
            self.assertEqual(report['by_reason'], {'exact': 1, 'contains_eval_body': 1, 'contained_in_eval': 1})
            self.assertEqual(report['by_eval_set'], {'cosqa': {'exact': 1, 'contains_eval_body': 1}, 'poj104': {'contained_in_eval': 1}})
            out = []
            for split in ('train', 'valid'):
                out += [json.loads(l) for l in (data / ('%s.jsonl' % split)).read_text().splitlines()]
            self.assertEqual(sorted(u['text'] for u in out), sorted([ORIGINAL, 'def ok(x):\n    return x * 3 + 7\n']))
            self.assertEqual(set(out[0]), {'package', 'language', 'kind', 'name', 'file', 'text'})
            stats = json.loads((data / 'stats.json').read_text())
            self.assertEqual(stats['units'], 2)


if __name__ == '__main__':
    unittest.main()
