"""Astrolabe's code encoder: a small BERT-style transformer (CuBERT's recipe, sized for CPU).

Written with explicit attention (no fused kernels) so that the ONNX graph is plain MatMul/Softmax,
which onnxruntime runs well on CPU and our int8 quantizer can rewrite. Pre-LayerNorm blocks train
more stably in short CPU runs than BERT's post-LayerNorm.
"""
from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import torch
from torch import nn


POOLINGS = ("mean", "log-tf")


@dataclasses.dataclass(frozen=True)
class EncoderConfig:
    vocab_size: int = 16000
    hidden_size: int = 256
    layers: int = 4
    heads: int = 4
    ffn_size: int = 1024
    max_positions: int = 512
    dropout: float = 0.1
    pad_id: int = 0
    # A bag-of-words branch beside the blocks: its own token table, mean-pooled and added to the pooled
    # embedding (see CodeEncoder.pool). It carries the broad word-to-code links a bag-of-words stage learns from millions of
    # pairs in minutes, so the blocks can keep a masked-LM's context and syntax (see training/README).
    bag_of_words: bool = False
    # How a unit's token vectors become one vector (both the blocks' and the branch's): "mean", or "log-tf", a mean
    # in which a token that occurs c times in the unit weighs log(1 + c) in all instead of c (TF-IDF's sublinear term
    # frequency): otherwise the brackets, `i` and `;` that fill a C program outweigh the few words that say what it
    # does. An export with "log-tf" takes each token's count in its unit as a third input (`token_counts`), so a unit
    # embedded in windows is weighed as a whole. Measured on encoder 0.9 without retraining: training/README.md.
    pooling: str = "mean"

    def __post_init__(self) -> None:
        if self.pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}, got {self.pooling!r}")

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @staticmethod
    def from_json(data: dict) -> "EncoderConfig":
        fields = {field.name for field in dataclasses.fields(EncoderConfig)}
        return EncoderConfig(**{key: value for key, value in data.items() if key in fields})

    @staticmethod
    def load(path: Path) -> "EncoderConfig":
        return EncoderConfig.from_json(json.loads(Path(path).read_text()))


class SelfAttention(nn.Module):
    def __init__(self, config: EncoderConfig):
        super().__init__()
        self.heads = config.heads
        self.head_size = config.hidden_size // config.heads
        self.query = nn.Linear(config.hidden_size, config.hidden_size)
        self.key = nn.Linear(config.hidden_size, config.hidden_size)
        self.value = nn.Linear(config.hidden_size, config.hidden_size)
        self.output = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, hidden: torch.Tensor, additive_mask: torch.Tensor) -> torch.Tensor:
        batch, length, _ = hidden.shape

        def split(x: torch.Tensor) -> torch.Tensor:
            return x.view(batch, length, self.heads, self.head_size).transpose(1, 2)

        q, k, v = split(self.query(hidden)), split(self.key(hidden)), split(self.value(hidden))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_size) + additive_mask
        weights = self.dropout(torch.softmax(scores, dim=-1))
        context = torch.matmul(weights, v).transpose(1, 2).reshape(batch, length, -1)
        return self.output(context)


class Block(nn.Module):
    def __init__(self, config: EncoderConfig):
        super().__init__()
        self.attention_norm = nn.LayerNorm(config.hidden_size)
        self.attention = SelfAttention(config)
        self.ffn_norm = nn.LayerNorm(config.hidden_size)
        self.ffn = nn.Sequential(
            nn.Linear(config.hidden_size, config.ffn_size), nn.GELU(), nn.Linear(config.ffn_size, config.hidden_size)
        )
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, hidden: torch.Tensor, additive_mask: torch.Tensor) -> torch.Tensor:
        hidden = hidden + self.dropout(self.attention(self.attention_norm(hidden), additive_mask))
        return hidden + self.dropout(self.ffn(self.ffn_norm(hidden)))


def _add_token_embeddings(module: nn.Module, config: EncoderConfig) -> None:
    """The embedding layer's parameters, under the names both CodeEncoder and BagOfWords give them."""
    module.token_embeddings = nn.Embedding(config.vocab_size, config.hidden_size, padding_idx=config.pad_id)
    module.position_embeddings = nn.Embedding(config.max_positions, config.hidden_size)
    module.embedding_norm = nn.LayerNorm(config.hidden_size)


def _embed_tokens(module: nn.Module, input_ids: torch.Tensor) -> torch.Tensor:
    """Token plus position embeddings, normalized per token, with the parameters _add_token_embeddings made."""
    positions = torch.arange(input_ids.shape[1], device=input_ids.device).unsqueeze(0)
    return module.embedding_norm(module.token_embeddings(input_ids) + module.position_embeddings(positions))


class BagOfWords(nn.Module):
    """What a 0-layer CodeEncoder computes, with the same parameters under the same names, so a
    bag-of-words stage's weights load into it unchanged."""

    def __init__(self, config: EncoderConfig):
        super().__init__()
        _add_token_embeddings(self, config)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return _embed_tokens(self, input_ids)


class CodeEncoder(nn.Module):
    """Token ids -> per-layer hidden states. Layer 0 is the embedding output; layer L the final, normalized one.
    `pool` turns them into the unit's embedding."""

    def __init__(self, config: EncoderConfig):
        super().__init__()
        self.config = config
        _add_token_embeddings(self, config)
        self.dropout = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList([Block(config) for _ in range(config.layers)])
        self.final_norm = nn.LayerNorm(config.hidden_size)
        self.bag = BagOfWords(config) if config.bag_of_words else None
        self.apply(_init_weights)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> list[torch.Tensor]:
        hidden = self.dropout(_embed_tokens(self, input_ids))
        # (batch, 1, 1, length): 0 where attending is allowed, a large negative number on padding.
        additive_mask = (1.0 - attention_mask[:, None, None, :].to(hidden.dtype)) * -1e4
        states = [hidden]
        for index, block in enumerate(self.blocks):
            hidden = block(hidden, additive_mask)
            states.append(self.final_norm(hidden) if index == len(self.blocks) - 1 else hidden)
        return states

    def pool(self, final_hidden: torch.Tensor, input_ids: torch.Tensor, attention_mask: torch.Tensor,
             counts: torch.Tensor | None = None) -> torch.Tensor:
        """The unit's embedding (before normalization): the final layer's pooled vector; with the bag-of-words
        branch, the sum of the two pooled vectors, each normalized first (the blocks' mean came out six times
        longer than the bag's and drowned it). `counts`: each token's count in its unit (`token_counts` when
        None: a sequence is its own unit); only "log-tf" pooling reads it."""
        weights = pooling_weights(self.config, input_ids, attention_mask, counts)
        pooled = weighted_mean(final_hidden, weights)
        if self.bag is None:
            return pooled
        bag = weighted_mean(self.bag(input_ids), weights)
        return nn.functional.normalize(pooled, dim=-1) + nn.functional.normalize(bag, dim=-1)


def token_counts(input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """For every position, how many real tokens of its sequence have its id (0 on padding), as float."""
    real = attention_mask.bool()
    same = (input_ids[:, :, None] == input_ids[:, None, :]) & real[:, None, :]
    return same.sum(dim=-1).to(torch.float32) * real


def pooling_weights(config: EncoderConfig, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                    counts: torch.Tensor | None = None) -> torch.Tensor:
    """Each position's weight in the pooled mean (0 on padding), as config.pooling says."""
    mask = attention_mask.to(torch.float32)
    if config.pooling == "mean":
        return mask
    if counts is None:
        counts = token_counts(input_ids, attention_mask)
    return torch.log1p(counts) / counts.clamp(min=1.0) * mask


def weighted_mean(hidden: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    weights = weights.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-6)


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average of the token vectors, padding excluded."""
    return weighted_mean(hidden, attention_mask.to(hidden.dtype))


def _init_weights(module: nn.Module) -> None:
    if isinstance(module, (nn.Linear, nn.Embedding)):
        nn.init.normal_(module.weight, std=0.02)
    if isinstance(module, nn.Linear) and module.bias is not None:
        nn.init.zeros_(module.bias)
    if isinstance(module, nn.Embedding) and module.padding_idx is not None:
        with torch.no_grad():
            module.weight[module.padding_idx].zero_()


class ExportWrapper(nn.Module):
    """What the ONNX file computes: the pooled embedding and every layer's hidden states, stacked."""

    def __init__(self, encoder: CodeEncoder):
        super().__init__()
        self.encoder = encoder

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                counts: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        states = self.encoder(input_ids, attention_mask)
        return self.encoder.pool(states[-1], input_ids, attention_mask, counts), torch.stack(states, dim=0)
