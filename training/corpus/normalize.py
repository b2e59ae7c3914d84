"""Language-aware, regex-based code normalization shared by dedup and the eval-overlap check.

A unit's text becomes a token stream with comments (and, for Python, docstrings) removed and all
whitespace dropped, so reformatting does not change it. Two views are derived from the stream:

* ``normalized_text``: the tokens joined by single spaces (exact dedup and exact eval overlap);
* ``renamed_tokens``: identifiers replaced by their order of first appearance (v0, v1, ...), so a
  consistently renamed copy maps to the same sequence (MinHash near-duplicate detection).

The tokenizer is deliberately simple (no parser): it only needs to be the same on both sides of
every comparison.
"""
from __future__ import annotations

import re
from typing import List

_STR_DQ = r'"(?:\\.|[^"\\\n])*"'
_STR_SQ = r"'(?:\\.|[^'\\\n])*'"

_PY_RE = re.compile(
    r'(?P<comment>#[^\n]*)'
    r'|(?P<string>(?:[rRbBuUfF]{1,2})?(?:"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|' + _STR_DQ + '|' + _STR_SQ + '))'
    r'|(?P<word>\w+)'
    r'|(?P<punct>[^\w\s])'
)

_CLIKE_RE = re.compile(
    r'(?P<comment>//[^\n]*|/\*[\s\S]*?\*/)'
    r'|(?P<string>' + _STR_DQ + '|' + _STR_SQ + r'|`(?:\\.|[^`\\])*`)'
    r'|(?P<word>\w+)'
    r'|(?P<punct>[^\w\s])'
)

# Words kept as they are when identifiers are renamed: keywords of the nine languages plus a few
# ubiquitous builtins. Everything else that looks like an identifier is renamed.
KEYWORDS = frozenset('''
False None True and as assert async await break class continue def del elif else except finally for
from global if import in is lambda nonlocal not or pass raise return try while with yield self cls
print len range match case
abstract arguments boolean byte catch char const debugger default delete do double enum eval export
extends final float function goto implements instanceof int interface let long native new null
package private protected public short static super switch synchronized this throw throws transient
true false typeof var void volatile of undefined readonly declare type namespace module keyof
infer never unknown any string number bigint symbol object constructor get set
chan defer fallthrough func go map select struct nil make append cap copy panic recover error
crate dyn extern fn impl loop mod move mut pub ref Self trait unsafe use where usize isize u8 u16 u32
u64 u128 i8 i16 i32 i64 i128 f32 f64 str bool Some Ok Err Vec String Option Result Box
auto register signed sizeof typedef union unsigned include define ifdef ifndef endif pragma
size_t NULL main printf scanf malloc free std cout cin endl bool nullptr template typename virtual
operator friend explicit inline mutable namespace using delete noexcept static_cast const_cast
dynamic_cast reinterpret_cast
'''.split())

PYTHON = 'python'


def _regex(language: str):
    return _PY_RE if language == PYTHON else _CLIKE_RE


def tokens(text: str, language: str) -> List[str]:
    """Tokens of `text` with comments removed; for Python, docstrings are removed too.

    A Python string literal counts as a docstring when it starts a line and follows a ':' token
    (a def/class header) or nothing at all (a module docstring).
    """
    out: List[str] = []
    is_py = language == PYTHON
    prev_end = 0
    for m in _regex(language).finditer(text):
        kind = m.lastgroup
        if kind == 'comment':
            continue
        tok = m.group()
        if kind == 'string' and is_py and (not out or out[-1] == ':') and (not out or '\n' in text[prev_end:m.start()]):
            prev_end = m.end()
            continue
        out.append(tok)
        prev_end = m.end()
    return out


def normalized_text(text: str, language: str) -> str:
    """Comment- and docstring-free text with whitespace collapsed (one space between tokens)."""
    return ' '.join(tokens(text, language))


# Below this many tokens a unit keeps its identifiers for near-duplicate detection: short units
# (getters, one-line wrappers) differ mostly in their names, and renaming would merge them.
MIN_RENAME_TOKENS = 20


def rename_identifiers(toks: List[str]) -> List[str]:
    """Replace each identifier by v<k>, k its order of first appearance. Keywords, numbers,
    strings, punctuation and member names (after '.', '->' or '::') stay as they are, as does
    every token of a stream shorter than MIN_RENAME_TOKENS."""
    if len(toks) < MIN_RENAME_TOKENS:
        return list(toks)
    names: dict = {}
    out: List[str] = []
    prev = prev2 = ''
    for t in toks:
        c = t[0]
        member = prev == '.' or (prev == '>' and prev2 == '-') or (prev == ':' and prev2 == ':')
        prev2, prev = prev, t
        if (c.isalpha() or c == '_') and not member and t not in KEYWORDS and t.isidentifier():
            k = names.get(t)
            if k is None:
                k = names[t] = '\x00v%d' % len(names)
            out.append(k)
        else:
            out.append(t)
    return out


def python_body(toks: List[str]) -> List[str]:
    """The tokens after the header of the first `def` (up to its ':' at bracket depth 0);
    the whole stream when there is no def header."""
    try:
        i = toks.index('def')
    except ValueError:
        return toks
    depth = 0
    for j in range(i + 1, len(toks)):
        t = toks[j]
        if t in '([{':
            depth += 1
        elif t in ')]}':
            depth -= 1
        elif t == ':' and depth == 0:
            return toks[j + 1:]
    return toks
