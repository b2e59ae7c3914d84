"""Sections of a model card written by other scripts than the one that writes the card (probe_train.py's
AST-Probe results, execution_comparison.py's issue-8 table), each between two HTML-comment markers:
`<!-- NAME:start -->` and `<!-- NAME:end -->`. A section is replaced in place when its script reruns, and
kept when model_card.py rewrites the rest of the card.
"""
from __future__ import annotations

import re
from pathlib import Path

_SECTION = re.compile(r"<!-- ([a-z0-9-]+):start -->\n.*?<!-- \1:end -->\n?", re.DOTALL)


def replace_section(path: Path, name: str, text: str) -> None:
    """Writes `text` as the card's section `name`: in place of the old one, else at the end."""
    card = path.read_text() if path.exists() else ""
    block = f"<!-- {name}:start -->\n{text.rstrip(chr(10))}\n<!-- {name}:end -->\n"
    old = next((match for match in _SECTION.finditer(card) if match.group(1) == name), None)
    if old:
        card = card[: old.start()] + block + card[old.end():].lstrip("\n")
    else:
        card = (card.rstrip("\n") + "\n\n" if card.strip() else "") + block
    path.write_text(card)


def kept_sections(path: Path) -> list[str]:
    """The marked sections of the card at `path`, in order (none if it does not exist)."""
    return [match.group(0).rstrip("\n") + "\n" for match in _SECTION.finditer(path.read_text())] if path.exists() else []
