"""The completion LM: a small GPT-style decoder (pre-LayerNorm, learned positions, GELU MLP, tied input
embedding and output head), written with explicit attention so the ONNX graph's MatMuls quantize to int8.

`forward` takes and returns the key/value cache as two stacked tensors, [layers, batch, heads, past, head_dim]
each, so the exported graph has exactly four inputs/outputs whatever the depth; positions continue from
the cache's length, so the same graph runs the prompt (empty cache) and each generated token.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F


@dataclass
class LMConfig:
    vocab_size: int = 8192
    hidden_size: int = 256
    layers: int = 4
    heads: int = 4
    max_positions: int = 1024

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.heads

    def to_json(self) -> dict:
        return asdict(self)


class Block(nn.Module):
    def __init__(self, config: LMConfig):
        super().__init__()
        self.config = config
        self.norm1 = nn.LayerNorm(config.hidden_size)
        self.qkv = nn.Linear(config.hidden_size, 3 * config.hidden_size)
        self.out = nn.Linear(config.hidden_size, config.hidden_size)
        self.norm2 = nn.LayerNorm(config.hidden_size)
        self.up = nn.Linear(config.hidden_size, 4 * config.hidden_size)
        self.down = nn.Linear(4 * config.hidden_size, config.hidden_size)

    def forward(self, x, past_k, past_v, bias):
        batch, length, _ = x.shape
        heads, head_dim = self.config.heads, self.config.head_dim
        q, k, v = self.qkv(self.norm1(x)).split(self.config.hidden_size, dim=-1)
        q = q.view(batch, length, heads, head_dim).transpose(1, 2)
        k = torch.cat([past_k, k.view(batch, length, heads, head_dim).transpose(1, 2)], dim=2)
        v = torch.cat([past_v, v.view(batch, length, heads, head_dim).transpose(1, 2)], dim=2)
        scores = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(head_dim)) + bias
        attended = torch.matmul(scores.softmax(dim=-1), v).transpose(1, 2).reshape(batch, length, -1)
        x = x + self.out(attended)
        x = x + self.down(F.gelu(self.up(self.norm2(x))))
        return x, k, v


class CompletionLM(nn.Module):
    def __init__(self, config: LMConfig):
        super().__init__()
        self.config = config
        self.tokens = nn.Embedding(config.vocab_size, config.hidden_size)
        self.positions = nn.Embedding(config.max_positions, config.hidden_size)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.layers))
        self.norm = nn.LayerNorm(config.hidden_size)
        self.apply(self._init)
        for block in self.blocks:  # GPT-2's scaled init of the residual projections
            nn.init.normal_(block.down.weight, std=0.02 / math.sqrt(2 * config.layers))
            nn.init.normal_(block.out.weight, std=0.02 / math.sqrt(2 * config.layers))

    @staticmethod
    def _init(module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def empty_cache(self, batch: int = 1, device="cpu"):
        shape = (self.config.layers, batch, self.config.heads, 0, self.config.head_dim)
        return torch.zeros(shape, device=device), torch.zeros(shape, device=device)

    def hidden(self, ids, past_keys, past_values):
        past, length = past_keys.shape[3], ids.shape[1]
        positions = torch.arange(length, device=ids.device) + past
        # Additive causal bias over [past + new] keys: query i sees keys up to past + i.
        keys = torch.arange(length, device=ids.device).unsqueeze(0) + past
        key_positions = torch.arange(past + length, device=ids.device).unsqueeze(0)
        bias = (key_positions > keys.transpose(0, 1)).to(torch.float32) * -1e9
        x = self.tokens(ids) + self.positions(positions)
        present_k, present_v = [], []
        for index, block in enumerate(self.blocks):
            x, k, v = block(x, past_keys[index], past_values[index], bias)
            present_k.append(k)
            present_v.append(v)
        return self.norm(x), torch.stack(present_k), torch.stack(present_v)

    def logits(self, hidden):
        return F.linear(hidden, self.tokens.weight)

    def forward(self, ids):
        """Training: logits at every position, no cache."""
        past_keys, past_values = self.empty_cache(ids.shape[0], ids.device)
        hidden, _, _ = self.hidden(ids, past_keys, past_values)
        return self.logits(hidden)


class ExportedLM(nn.Module):
    """The graph that ships: logits of the last position only (the prompt's other positions are never read)
    and the updated cache. The head is an untied copy of the embedding so it exports as a constant MatMul."""

    def __init__(self, model: CompletionLM):
        super().__init__()
        self.model = model
        self.head = nn.Linear(model.config.hidden_size, model.config.vocab_size, bias=False)
        self.head.weight = nn.Parameter(model.tokens.weight.detach().clone())

    def forward(self, input_ids, past_keys, past_values):
        hidden, present_keys, present_values = self.model.hidden(input_ids, past_keys, past_values)
        return self.head(hidden[:, -1, :]), present_keys, present_values
