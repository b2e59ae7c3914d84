"""doc_pairs.py: (question, code) pairs read off Sphinx reST sources."""
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corpus import build  # noqa: E402
from corpus.doc_pairs import EvalFilter, Page, plain_text  # noqa: E402

PAGE = """
:mod:`os.path` --- Common pathname manipulations
================================================

.. module:: os.path

1.2. Reading a file
-------------------

To read a whole file at once, call :meth:`~io.TextIOBase.read` on the file object::

   with open('notes.txt', encoding="utf-8") as f:
       text = f.read()

The shell does it differently::

   $ cat notes.txt | wc -l

.. function:: exists(path)

   Return ``True`` if *path* refers to an existing path or an open
   file descriptor.  Returns ``False`` for broken symbolic links.

   >>> exists('/')
   True

.. class:: Walker(root)

   Walks a tree of folders, depth first.

   .. method:: files(pattern='*')

      Yield the files under the root that match *pattern*.

   .. method:: Walker.folders()

      Yield the folders under the root, deepest last.

Examples
--------

Sorting a list in place with a key of your own:

.. code-block:: python3

   names.sort(key=str.lower)

.. highlight:: c

A C example that must not be taken for Python::

   int main(void) { return 0; }
"""


class PageTest(unittest.TestCase):
    def setUp(self):
        self.pairs = list(Page(PAGE).pairs())

    def test_an_introducing_sentence_pairs_with_its_literal_block(self):
        self.assertIn(('example', 'To read a whole file at once, call read on the file object',
                       "with open('notes.txt', encoding=\"utf-8\") as f:\n    text = f.read()"), self.pairs)

    def test_a_heading_pairs_with_the_first_example_under_it(self):
        headings = [(query, code) for kind, query, code in self.pairs if kind == 'heading']
        self.assertEqual(headings, [('Reading a file', "with open('notes.txt', encoding=\"utf-8\") as f:\n    text = f.read()")])

    def test_shell_and_c_blocks_are_not_taken_for_python(self):
        codes = [code for _, _, code in self.pairs]
        self.assertFalse(any('cat notes.txt' in code or 'int main' in code for code in codes))

    def test_an_api_entry_pairs_its_first_sentence_with_its_call_and_example(self):
        self.assertIn(('api', 'Return True if path refers to an existing path or an open file descriptor.',
                       "os.path.exists(path)\nexists('/')"), self.pairs)

    def test_methods_are_named_after_their_class(self):
        self.assertIn(('api', 'Walks a tree of folders, depth first.', 'os.path.Walker(root)'), self.pairs)
        self.assertIn(('api', 'Yield the files under the root that match pattern.', "os.path.Walker.files(pattern='*')"), self.pairs)
        self.assertIn(('api', 'Yield the folders under the root, deepest last.', 'os.path.Walker.folders()'), self.pairs)

    def test_a_code_block_takes_the_paragraph_before_it_and_a_generic_heading_gives_no_pair(self):
        self.assertIn(('example', 'Sorting a list in place with a key of your own', 'names.sort(key=str.lower)'), self.pairs)
        self.assertFalse(any(query == 'Examples' for _, query, _ in self.pairs))


EVAL_FUNCTION = """def count_words(path, minimum_length):
    counts = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            for word in line.split():
                if len(word) >= minimum_length:
                    counts[word] = counts.get(word, 0) + 1
    return sorted(counts.items(), key=lambda item: item[1], reverse=True)
"""


class EvalFilterTest(unittest.TestCase):
    """The filter against a one-item eval index built as the corpus builds its own."""

    def setUp(self):
        index = build.prepared_eval_index(build.eval_index_arrays([{'code': EVAL_FUNCTION, 'language': 'python'}]))
        self.filter = EvalFilter(index, ['How to count words in a file?'])

    def test_code_overlapping_the_eval_item_is_dropped_by_reason(self):
        renamed = EVAL_FUNCTION.replace('counts', 'tally').replace('handle', 'stream').replace('word', 'token')
        body = EVAL_FUNCTION.split('\n', 1)[1]
        inside = body.replace('\n', '\n    ')
        containing = 'def report(path, n):\n    ' + inside + '\nprint(report("a.txt", 3))\n'
        self.assertEqual(self.filter.overlaps([('Count the words', EVAL_FUNCTION), ('Count the words', renamed), ('Count the words', containing)]),
                         ['exact', 'near_duplicate', 'contains_eval_body'])

    def test_a_cosqa_query_is_dropped_and_other_pairs_kept(self):
        self.assertEqual(self.filter.overlaps([('how to count words in a file', 'print(1)'),
                                               ('Count the words', 'with open(path) as f:\n    print(len(f.read().split()))')]),
                         ['query', None])

class PlainTextTest(unittest.TestCase):
    def test_markup_becomes_the_words_a_reader_sees(self):
        self.assertEqual(plain_text(':func:`~os.path.join` and ``x + 1`` in `the docs <https://x>`_, *really*'),
                         'join and x + 1 in the docs, really')
        self.assertEqual(plain_text(':ref:`the tutorial <tut-files>` (see :class:`!Path`)'), 'the tutorial (see Path)')


if __name__ == '__main__':
    unittest.main()
