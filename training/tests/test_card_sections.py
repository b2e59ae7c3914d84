"""Model-card sections owned by other scripts: replaced in place, kept across a rewrite of the rest."""
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from card_sections import kept_sections, replace_section  # noqa: E402


class CardSectionsTest(unittest.TestCase):
    def test_replace_in_place_and_keep(self):
        card = Path(tempfile.mkdtemp()) / "MODEL_CARD.md"
        card.write_text("# model\n\nbody\n")
        replace_section(card, "ast-probe", "## AST-Probe\nold table\n")
        replace_section(card, "execution-comparison", "## Traces\ntable\n")
        replace_section(card, "ast-probe", "## AST-Probe\nnew table\n")
        text = card.read_text()
        self.assertEqual(text, "# model\n\nbody\n\n<!-- ast-probe:start -->\n## AST-Probe\nnew table\n<!-- ast-probe:end -->\n"
                               "<!-- execution-comparison:start -->\n## Traces\ntable\n<!-- execution-comparison:end -->\n")
        self.assertEqual([section.splitlines()[1] for section in kept_sections(card)], ["## AST-Probe", "## Traces"])
        self.assertEqual(kept_sections(card.with_name("missing.md")), [])


if __name__ == "__main__":
    unittest.main()
