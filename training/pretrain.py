"""Masked-LM pretraining of the code encoder (CuBERT) on token-id shards written by the TypeScript tokenizer.

    /usr/bin/python3 training/pretrain.py --shards DATA/shards --out DATA/runs/mlm --minutes 110

With --traces (issue 8, TRACED-style), a share of the steps instead takes traced executions (code with its
input appended) and adds two objectives to masked-LM on them: which lines ran, and each traced variable's
value category (execution_objectives.py). Same model, same wall-clock budget: a fair comparison with a
static-only run.

Resumable: a checkpoint is written every --checkpoint-minutes and at the end; rerunning the same command
continues from the last one. Logs one JSON line per log interval to OUT/log.jsonl.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from encoder_model import CodeEncoder, EncoderConfig  # noqa: E402
from execution_objectives import ExecutionHeads, TraceShards, coverage_accuracy, line_predictions  # noqa: E402
from masked_lm import MaskedLMHead, mask_tokens, masked_lm_loss, saved_mlm_head  # noqa: E402
from token_shards import TokenShard, pad_sequences, special_ids  # noqa: E402
from training_run import TrainingRun, learning_rate  # noqa: E402


def batches(shard: TokenShard, batch_size: int, max_tokens: int, rng: random.Random, pad_id: int, pool: int = 1):
    """Endless random batches; a sequence longer than max_tokens contributes a random window (its [CLS] kept).

    With pool > 1, pool batches' worth of sequences are drawn at once, sorted by length and cut into batches
    served in random order: a batch pads to its longest sequence, and code units' lengths vary so much that
    random batches at 256 tokens are mostly padding.
    """
    count = len(shard)
    while True:
        rows = [shard.sequence(rng.randrange(count)) for _ in range(batch_size * pool)]
        rows = [crop(row, max_tokens, rng) for row in rows]
        if pool > 1:
            rows.sort(key=len)
        groups = [rows[start : start + batch_size] for start in range(0, len(rows), batch_size)]
        rng.shuffle(groups)
        for group in groups:
            ids, mask = pad_sequences(group, pad_id)
            yield torch.from_numpy(ids), torch.from_numpy(mask)


def crop(row, max_tokens: int, rng: random.Random):
    if len(row) <= max_tokens:
        return row
    start = rng.randrange(1, len(row) - max_tokens + 2)
    return [row[0], *row[start : start + max_tokens - 1]]


def evaluate(encoder, mlm_head, shard: TokenShard, specials: dict, config: EncoderConfig, max_tokens: int, count: int = 64) -> float:
    """Masked-LM loss on a fixed sample of validation sequences (fixed masks), for comparable numbers across a run."""
    encoder.eval()
    rng = random.Random(1234)
    generator = torch.Generator().manual_seed(1234)
    losses = []
    with torch.no_grad():
        source = batches(shard, 16, max_tokens, rng, specials["pad"])
        for _ in range(max(1, count // 16)):
            ids, mask = next(source)
            masked, labels = mask_tokens(ids, mask, specials["mask"], config.vocab_size, specials["first_regular"], generator=generator)
            losses.append(float(masked_lm_loss(encoder, mlm_head, masked, mask, labels)))
    encoder.train()
    return sum(losses) / len(losses)


def evaluate_traces(encoder, heads: ExecutionHeads, shard: TraceShards, pad_id: int, count: int = 256) -> dict:
    """Line-coverage accuracy of the coverage head on a fixed sample of held-out executions (nothing masked)."""
    encoder.eval()
    indexes = random.Random(1234).sample(range(len(shard)), min(count, len(shard)))
    predicted, truth, execution = [], [], []
    with torch.no_grad():
        for start in range(0, len(indexes), 16):
            ids, mask, coverage, _ = shard.batch(indexes[start : start + 16], pad_id)
            hidden = encoder(ids, mask)[-1]
            lines = coverage > 0
            predicted.append(line_predictions(heads.coverage(hidden[lines])).numpy())
            truth.append(coverage[lines].numpy())
            execution.append((torch.arange(start, start + len(ids))[:, None].expand_as(coverage))[lines].numpy())
    encoder.train()
    return coverage_accuracy(np.concatenate(predicted), np.concatenate(truth), np.concatenate(execution))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shards", type=Path, required=True, help="folder with train.* and valid.* shards")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--length-pool", type=int, default=1,
                        help="draw this many batches at once and group them by length (less padding; 16 at --max-tokens 256)")
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--warmup", type=int, default=1000)
    parser.add_argument("--minutes", type=float, default=110.0, help="wall-clock budget for this run (all resumes together)")
    parser.add_argument("--max-steps", type=int, default=1_000_000)
    parser.add_argument("--cooldown-minutes", type=float, default=0.0,
                        help="decay the learning rate linearly to a tenth over the budget's last minutes")
    parser.add_argument("--cooldown-steps", type=int, default=0,
                        help="instead, decay over the last steps before --max-steps (to match another run step for step)")
    parser.add_argument("--checkpoint-minutes", type=float, default=10.0)
    parser.add_argument("--log-every", type=int, default=50)
    parser.add_argument("--device", default="cpu", help="cpu, or cuda where a GPU is lent")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--traces", type=Path, help="folder with {train,valid}.{ids,coverage,values} trace shards (tokenizer.js traces)")
    parser.add_argument("--trace-share", type=float, default=0.5, help="share of the steps that take traced executions")
    parser.add_argument("--trace-weight", type=float, default=1.0, help="weight of the two execution losses against masked-LM")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    if args.device == "cpu":
        torch.set_num_threads(1)  # with OpenBLAS this was fastest on 2 cores (BLAS uses both)
    train, valid = TokenShard(args.shards / "train"), TokenShard(args.shards / "valid")
    specials = special_ids(args.shards / "train")
    config = EncoderConfig(vocab_size=train.vocab_size, hidden_size=args.hidden, layers=args.layers, heads=args.heads,
                           ffn_size=4 * args.hidden, max_positions=max(512, args.max_tokens))
    encoder = CodeEncoder(config).to(args.device)
    mlm_head = MaskedLMHead(encoder).to(args.device)
    parameters = list(encoder.parameters()) + [p for name, p in mlm_head.named_parameters() if not name.startswith("embeddings.")]
    optimizer = torch.optim.AdamW(parameters, lr=args.lr, weight_decay=0.01)
    trace_train = TraceShards(args.traces, "train") if args.traces else None
    trace_valid = TraceShards(args.traces, "valid") if args.traces else None
    heads = ExecutionHeads(config.hidden_size, len(trace_train.categories)).to(args.device) if trace_train else None

    run = TrainingRun(args.out, args.minutes, args.checkpoint_minutes)
    checkpoint = run.resume(args.device)
    if checkpoint:
        encoder.load_state_dict(checkpoint["encoder"])
        mlm_head.load_state_dict(saved_mlm_head(checkpoint))
        if heads and "execution_heads" in checkpoint:
            heads.load_state_dict(checkpoint["execution_heads"])
            optimizer.add_param_group({"params": list(heads.parameters())})
        # A static-only checkpoint (the execution-aware run starts from one) has no heads: they join the optimizer after.
        optimizer.load_state_dict(checkpoint["optimizer"])
    if heads and len(optimizer.param_groups) == 1:
        optimizer.add_param_group({"params": list(heads.parameters())})
    run.state.setdefault("tokens", 0)
    (args.out / "config.json").write_text(json.dumps(config.to_json(), indent=2))

    rng = random.Random(args.seed + run.state["step"])
    generator = torch.Generator().manual_seed(args.seed + run.state["step"])
    source = batches(train, args.batch, args.max_tokens, rng, specials["pad"], args.length_pool)
    trace_source = trace_train.batches(args.batch, rng, specials["pad"]) if trace_train else None
    run.state.setdefault("trace_steps", 0)

    def payload() -> dict:
        saved = {"encoder": encoder.state_dict(), "mlm_head": mlm_head.state_dict(), "optimizer": optimizer.state_dict(), "config": config.to_json()}
        return {**saved, "execution_heads": heads.state_dict()} if heads else saved

    run.start()
    encoder.train()
    while run.running(args.max_steps):
        step = run.state["step"]
        for group in optimizer.param_groups:
            if args.cooldown_steps:
                group["lr"] = learning_rate(args.lr, step, args.warmup, args.max_steps - step, args.cooldown_steps)
            else:
                group["lr"] = learning_rate(args.lr, step, args.warmup, run.minutes_left, args.cooldown_minutes)
        parts = {}
        if trace_source and rng.random() < args.trace_share:
            ids, mask, coverage, values = next(trace_source)
            masked, labels = mask_tokens(ids, mask, specials["mask"], config.vocab_size, specials["first_regular"], generator=generator)
            hidden = encoder(masked.to(args.device), mask.to(args.device))[-1]
            labels = labels.to(args.device)
            selected = labels != -100
            loss = torch.nn.functional.cross_entropy(mlm_head(hidden[selected]), labels[selected])
            parts = heads.losses(hidden, coverage.to(args.device), values.to(args.device))
            loss = loss + args.trace_weight * (parts["coverage"] + parts["values"])
            run.state["trace_steps"] += 1
        else:
            ids, mask = next(source)
            masked, labels = mask_tokens(ids, mask, specials["mask"], config.vocab_size, specials["first_regular"], generator=generator)
            loss = masked_lm_loss(encoder, mlm_head, masked.to(args.device), mask.to(args.device), labels.to(args.device))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for group in optimizer.param_groups for p in group["params"]], 1.0)
        optimizer.step()
        run.state["step"] = step + 1
        run.state["tokens"] += int(mask.sum())
        if run.state["step"] % args.log_every == 0:
            record = {"step": run.state["step"], "loss": float(loss), "tokens": run.state["tokens"], "minutes": run.elapsed_minutes}
            record.update({f"{name}_loss": float(value) for name, value in parts.items()})
            if heads:
                record["trace_steps"] = run.state["trace_steps"]
            if run.state["step"] % (args.log_every * 10) == 0:
                record["valid_loss"] = evaluate(encoder, mlm_head, valid, specials, config, args.max_tokens)
                record["valid_perplexity"] = math.exp(record["valid_loss"])
                if heads and len(trace_valid):
                    record["valid_line_accuracy"] = evaluate_traces(encoder, heads, trace_valid, specials["pad"])["line_accuracy"]
            run.log(record)
        if run.checkpoint_due():
            run.save(payload())
    run.save(payload())
    summary = {"step": run.state["step"], "tokens": run.state["tokens"], "minutes": run.state["seconds"] / 60,
               "valid_loss": evaluate(encoder, mlm_head, valid, specials, config, args.max_tokens, count=256)}
    if heads:
        summary["trace_steps"] = run.state["trace_steps"]
        if len(trace_valid):
            summary["valid_coverage"] = evaluate_traces(encoder, heads, trace_valid, specials["pad"], count=1024)
    run.finish(summary)


if __name__ == "__main__":
    main()
