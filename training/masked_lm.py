"""BERT's masked-language-model objective over code token sequences (CuBERT pretraining)."""
from __future__ import annotations

import torch
from torch import nn

from encoder_model import CodeEncoder


class MaskedLMHead(nn.Module):
    """Predicts the original token at each position; its output weights are the input embeddings (tied)."""

    def __init__(self, encoder: CodeEncoder):
        super().__init__()
        hidden = encoder.config.hidden_size
        self.transform = nn.Sequential(nn.Linear(hidden, hidden), nn.GELU(), nn.LayerNorm(hidden))
        self.bias = nn.Parameter(torch.zeros(encoder.config.vocab_size))
        self.embeddings = encoder.token_embeddings

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.transform(hidden) @ self.embeddings.weight.t() + self.bias


def saved_mlm_head(checkpoint: dict) -> dict | None:
    """A run checkpoint's masked-LM head weights, or None: saved as "mlm_head" (pretrain.py's runs before
    2026-12-07 named it "head"; those checkpoints are still read, and resumed)."""
    return checkpoint.get("mlm_head", checkpoint.get("head"))


def mask_tokens(
    ids: torch.Tensor,
    attention_mask: torch.Tensor,
    mask_id: int,
    vocab_size: int,
    first_regular_id: int,
    probability: float = 0.15,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT masking: of the chosen 15%, 80% become [MASK], 10% a random token, 10% stay. Special tokens are never chosen.

    Returns (masked input ids, labels with -100 where no prediction is asked).
    """
    candidates = (attention_mask == 1) & (ids >= first_regular_id)
    chosen = (torch.rand(ids.shape, generator=generator) < probability) & candidates
    labels = torch.where(chosen, ids, torch.full_like(ids, -100))
    masked = ids.clone()
    roll = torch.rand(ids.shape, generator=generator)
    masked[chosen & (roll < 0.8)] = mask_id
    random_positions = chosen & (roll >= 0.8) & (roll < 0.9)
    masked[random_positions] = torch.randint(first_regular_id, vocab_size, (int(random_positions.sum()),), generator=generator)
    return masked, labels


def masked_lm_loss(encoder: CodeEncoder, mlm_head: MaskedLMHead, ids: torch.Tensor, attention_mask: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    hidden = encoder(ids, attention_mask)[-1]
    selected = labels != -100
    if not bool(selected.any()):
        return hidden.sum() * 0.0
    logits = mlm_head(hidden[selected])
    return nn.functional.cross_entropy(logits, labels[selected])
