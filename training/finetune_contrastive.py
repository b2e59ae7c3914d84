"""Contrastive fine-tuning for retrieval: (documentation, code) and (code, rewritten code) pairs,
symmetric InfoNCE with in-batch negatives, and a Matryoshka loss so that the first 64, 128 and 256
dimensions each work as an embedding.

    /usr/bin/python3 training/finetune_contrastive.py --pairs DATA/pairs --init DATA/runs/mlm --out DATA/runs/contrastive --minutes 60

--pairs holds two aligned shards written by the TypeScript tokenizer: `query.*` (documentation summaries
or code) and `code.*` (code with its documentation removed); sequence i of one pairs with sequence i of
the other. --init is a run folder (checkpoint.pt and config.json): masked-LM, or an earlier contrastive stage. A model
can grow: `--layers 0` trains a bag-of-words stage (token embeddings, mean-pooled: minutes per epoch on a
CPU), and a later stage with `--init` that stage and `--layers 4` starts each new block as the identity
(its output projections zero), so it begins as the smaller model (but for the final LayerNorm, which
re-standardizes each token vector: held-out pair MRR 0.632 as bag-of-words, 0.589 grown). Or, with
`--bag-of-words`, a bag-of-words stage joins a pretrained model as a branch of its pooled embedding
(encoder_model.BagOfWords), so the blocks keep what masked-LM taught them; `--bag-only` then trains that
branch alone on its own mean (the blocks neither run nor change). Resumable like pretrain.py.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import random
import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from encoder_model import POOLINGS, CodeEncoder, EncoderConfig, pooling_weights, weighted_mean  # noqa: E402
from token_shards import TokenShard, open_shards, pad_sequences, special_ids  # noqa: E402
from masked_lm import MaskedLMHead, mask_tokens, saved_mlm_head  # noqa: E402
from training_run import TrainingRun, learning_rate  # noqa: E402


def matryoshka_info_nce(queries: torch.Tensor, codes: torch.Tensor, dimensions: list[int], log_scale: torch.Tensor) -> torch.Tensor:
    """Mean over prefix sizes of the symmetric InfoNCE loss; row i of each side is the positive of the other's row i."""
    targets = torch.arange(queries.shape[0], device=queries.device)
    losses = []
    for dimension in dimensions:
        q = nn.functional.normalize(queries[:, :dimension], dim=-1)
        c = nn.functional.normalize(codes[:, :dimension], dim=-1)
        logits = log_scale.exp().clamp(max=100.0) * q @ c.t()
        losses.append((nn.functional.cross_entropy(logits, targets) + nn.functional.cross_entropy(logits.t(), targets)) / 2)
    return torch.stack(losses).mean()


def grow_from(encoder: CodeEncoder, state: dict) -> None:
    """Load a smaller (or equal) model's weights; blocks it lacks become the identity (zero output projections)."""
    missing, unexpected = encoder.load_state_dict(state, strict=False)
    assert not unexpected, f"--init has weights this model lacks: {unexpected[:4]}"
    new_blocks = sorted({int(name.split(".")[1]) for name in missing if name.startswith("blocks.")})
    assert all(name.startswith("blocks.") for name in missing), f"--init lacks {missing[:4]}"
    with torch.no_grad():
        for index in new_blocks:
            for projection in (encoder.blocks[index].attention.output, encoder.blocks[index].ffn[2]):
                projection.weight.zero_()
                projection.bias.zero_()
    if new_blocks:
        print(f"grown: blocks {new_blocks} start as the identity", flush=True)


def sampling_pool(shard, language_weights: str, kind_weights: str = "") -> np.ndarray:
    """Pair indices, each repeated by its language's integer weight times its kind's: uniform draws from it follow the weights."""
    repeats = np.ones(len(shard), dtype=np.int64)
    for flag, weights, field in (("--language-weights", language_weights, "languages"), ("--kind-weights", kind_weights, "kinds")):
        by_name = {name: int(weight) for name, weight in (item.split("=") for item in weights.split(",") if item)}
        if not by_name:
            continue
        names = shard.metadata[field]
        unknown = set(by_name) - set(names)
        assert not unknown, f"{flag}: no {field[:-1]} {sorted(unknown)} in {names}"
        repeats *= np.array([by_name.get(name, 1) for name in names])[np.asarray(shard.records[field[:-1]], dtype=np.int64)]
    return np.repeat(np.arange(len(shard)), repeats) if (repeats != 1).any() else np.arange(len(shard))


def package_members(shard: TokenShard) -> dict:
    """Pair indices of each package: pairs of one package make hard in-batch negatives for each other."""
    packages = np.asarray(shard.records["package"], dtype=np.int64)
    order = np.argsort(packages, kind="stable")
    starts = np.flatnonzero(np.diff(packages[order], prepend=-1))
    return {int(packages[order[start]]): members for start, members in zip(starts, np.split(order, starts[1:]))}


def draw_batch(rng: random.Random, pool: np.ndarray, members: dict, packages: np.ndarray, size: int,
               package_share: float, per_package: int, queries: TokenShard) -> list:
    """`size` pair indices: a `package_share` of them in runs of `per_package` from one package (seeded by a
    pool draw, so language weights still hold), the rest uniform; pairs whose query repeats one already
    drawn are left out, since an identical query would be a false negative."""
    picks: list = []
    while len(picks) < round(size * package_share):
        package = members[int(packages[pool[rng.randrange(len(pool))]])]
        picks += [int(package[i]) for i in rng.sample(range(len(package)), min(per_package, len(package)))]
    picks += [int(pool[i]) for i in rng.sample(range(len(pool)), size - len(picks))] if len(picks) < size else []
    seen, kept = set(), []
    for index in picks:
        key = queries.sequence(index).tobytes()
        if key not in seen:
            seen.add(key)
            kept.append(index)
    return kept[:size]


def padded(rows: list, max_tokens: int, pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    rows = [list(row[: max_tokens - 1]) + [row[-1]] if len(row) > max_tokens else row for row in rows]  # keep [SEP]
    ids, mask = pad_sequences(rows, pad_id)
    return torch.from_numpy(ids), torch.from_numpy(mask)


def embed(encoder: CodeEncoder, ids: torch.Tensor, mask: torch.Tensor, bag_only: bool = False) -> torch.Tensor:
    """The pooled embedding; with `bag_only`, the bag-of-words branch's pooled vector alone (the blocks do not run)."""
    if bag_only:
        return weighted_mean(encoder.bag(ids), pooling_weights(encoder.config, ids, mask))
    return encoder.pool(encoder(ids, mask)[-1], ids, mask)


def validation_mrr(encoder, queries: TokenShard, codes: TokenShard, pad_id: int, max_tokens: int, count: int = 500, bag_only: bool = False) -> float:
    """MRR of finding each pair's code among `count` validation codes from its query: a cheap progress signal."""
    encoder.eval()
    count = min(count, len(queries))
    with torch.no_grad():
        q = torch.cat([embed(encoder, *padded([queries.sequence(i) for i in range(s, min(s + 32, count))], max_tokens, pad_id), bag_only) for s in range(0, count, 32)])
        c = torch.cat([embed(encoder, *padded([codes.sequence(i) for i in range(s, min(s + 32, count))], max_tokens, pad_id), bag_only) for s in range(0, count, 32)])
    scores = nn.functional.normalize(q, dim=-1) @ nn.functional.normalize(c, dim=-1).t()
    ranks = (scores > scores.diag().unsqueeze(1)).sum(dim=1) + 1
    encoder.train()
    return float((1.0 / ranks.float()).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=Path, required=True, help="pairs folder (train.* and valid.* shards from dist/tokenizer.js pairs)")
    parser.add_argument("--example-pairs", type=Path, nargs="*", default=[],
                        help="more training shards (prefixes, e.g. $DATA/docpairs/train: documentation examples), drawn beside --pairs' train shards")
    parser.add_argument("--init", type=Path, help="run folder to start from (random weights without it)")
    parser.add_argument("--layers", type=int, help="blocks (default: --init's, else 4); more than --init's grows it")
    parser.add_argument("--bag-of-words", type=Path,
                        help="add a bag-of-words branch to the pooled embedding, started from this run folder (a --layers 0 stage)")
    parser.add_argument("--bag-only", action="store_true",
                        help="train the bag-of-words branch alone, on its own mean: the blocks neither run nor change (seconds a step, not minutes)")
    parser.add_argument("--pooling", choices=POOLINGS, help="how token vectors are pooled (default: --init's, else mean; see EncoderConfig)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--max-tokens", type=int, default=192)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--dimensions", default="64,128,256")
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--cooldown-minutes", type=float, default=0.0,
                        help="decay the learning rate linearly to a tenth over the budget's last minutes")
    parser.add_argument("--max-steps", type=int, default=1_000_000)
    parser.add_argument("--checkpoint-minutes", type=float, default=10.0)
    parser.add_argument("--log-every", type=int, default=25)
    parser.add_argument("--dropout", type=float,
                        help="dropout (default: --init's, else 0.1); 0 makes a CPU step a quarter faster, and short runs need no regularizing")
    parser.add_argument("--mlm-weight", type=float, default=0.0,
                        help="also masked-LM on the code side (15%% of its tokens masked, the same forward pass), weighted so")
    parser.add_argument("--language-weights", default="",
                        help="sample some languages' pairs more often, e.g. python=3 (the others weigh 1)")
    parser.add_argument("--kind-weights", default="",
                        help="sample some kinds of pairs more often, e.g. example=8 (documentation, rewrite, example; the others weigh 1)")
    parser.add_argument("--package-share", type=float, default=0.0,
                        help="share of each batch drawn in runs of --per-package pairs from one package (hard negatives)")
    parser.add_argument("--per-package", type=int, default=8)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.bag_of_words and not args.init:
        parser.error("--bag-of-words adds a branch to the model --init names")
    if args.bag_only and args.mlm_weight > 0:
        parser.error("--bag-only trains no blocks, so no masked-LM (--mlm-weight)")

    torch.manual_seed(args.seed)
    if args.device == "cpu":
        torch.set_num_threads(1)
    train_q = open_shards([args.pairs / "train.query"] + [Path(f"{prefix}.query") for prefix in args.example_pairs])
    train_c = open_shards([args.pairs / "train.code"] + [Path(f"{prefix}.code") for prefix in args.example_pairs])
    valid_q, valid_c = TokenShard(args.pairs / "valid.query"), TokenShard(args.pairs / "valid.code")
    assert len(train_q) == len(train_c) and len(valid_q) == len(valid_c), "query and code shards must be aligned"
    specials = special_ids(args.pairs / "train.query")
    pad_id = specials["pad"]

    config = EncoderConfig.load(args.init / "config.json") if args.init else EncoderConfig(vocab_size=train_q.vocab_size)
    if args.layers is not None:
        config = dataclasses.replace(config, layers=args.layers)
    if args.dropout is not None:
        config = dataclasses.replace(config, dropout=args.dropout)
    if args.pooling is not None:
        config = dataclasses.replace(config, pooling=args.pooling)
    if args.bag_of_words:
        if config.bag_of_words:
            parser.error(f"{args.init} already has a bag-of-words branch")
        config = dataclasses.replace(config, bag_of_words=True)
    if args.bag_only and not config.bag_of_words:
        parser.error("--bag-only needs a bag-of-words branch (--bag-of-words, or an --init that has one)")
    encoder = CodeEncoder(config).to(args.device)
    dimensions = [int(d) for d in args.dimensions.split(",") if int(d) <= config.hidden_size]
    log_scale = nn.Parameter(torch.tensor(math.log(1 / 0.05)))  # temperature 0.05 to start, learned
    # Masked-LM beside the contrastive loss keeps the blocks learning context and syntax (what AST probes
    # read), at no extra forward pass: the code side is masked, pooled for InfoNCE and decoded for the LM.
    mlm_head = MaskedLMHead(encoder).to(args.device) if args.mlm_weight > 0 else None
    mlm_parameters = [p for name, p in mlm_head.named_parameters() if not name.startswith("embeddings.")] if mlm_head else []
    trained = encoder.bag.parameters() if args.bag_only else encoder.parameters()
    optimizer = torch.optim.AdamW(list(trained) + [log_scale] + mlm_parameters, lr=args.lr, weight_decay=0.01)
    masking = torch.Generator().manual_seed(args.seed)

    run = TrainingRun(args.out, args.minutes, args.checkpoint_minutes)
    checkpoint = run.resume(args.device)
    if checkpoint:
        encoder.load_state_dict(checkpoint["encoder"])
        log_scale.data.copy_(checkpoint["log_scale"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        if mlm_head is not None:
            mlm_head.load_state_dict(checkpoint["mlm_head"])
    elif args.init:
        initial = torch.load(args.init / "checkpoint.pt", map_location=args.device)
        # A stage continues its init stage's stream of draws instead of drawing the very same pairs again.
        run.state["draw_offset"] = int(initial.get("state", {}).get("pairs", 0))
        state = dict(initial["encoder"])
        if args.bag_of_words:
            bag_stage = torch.load(args.bag_of_words / "checkpoint.pt", map_location=args.device)["encoder"]
            state.update({f"bag.{name}": bag_stage[name] for name in encoder.bag.state_dict()})
        grow_from(encoder, state)
        # The masked-LM head of the run started from goes on where it stopped, not from random.
        saved_head = saved_mlm_head(initial)
        if mlm_head is not None and saved_head is not None:
            mlm_head.load_state_dict(saved_head)
    run.state.setdefault("pairs", 0)
    (args.out / "config.json").write_text(json.dumps(config.to_json(), indent=2))

    rng = random.Random(args.seed + run.state.get("draw_offset", 0) + run.state["step"])
    pool = sampling_pool(train_q, args.language_weights, args.kind_weights)
    members = package_members(train_q)
    packages = np.asarray(train_q.records["package"], dtype=np.int64)
    payload = lambda: {"encoder": encoder.state_dict(), "log_scale": log_scale.data, "optimizer": optimizer.state_dict(), "config": config.to_json(),  # noqa: E731
                       **({"mlm_head": mlm_head.state_dict()} if mlm_head is not None else {})}

    run.start()
    encoder.train()
    while run.running(args.max_steps):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(args.lr, run.state["step"], args.warmup, run.minutes_left, args.cooldown_minutes)
        picks = draw_batch(rng, pool, members, packages, args.batch, args.package_share, args.per_package, train_q)
        queries = embed(encoder, *[t.to(args.device) for t in padded([train_q.sequence(i) for i in picks], args.max_tokens, pad_id)], bag_only=args.bag_only)
        code_ids, code_mask = padded([train_c.sequence(i) for i in picks], args.max_tokens, pad_id)
        if mlm_head is not None:
            code_ids, labels = mask_tokens(code_ids, code_mask, specials["mask"], config.vocab_size, specials["first_regular"], generator=masking)
        code_ids, code_mask = code_ids.to(args.device), code_mask.to(args.device)
        if args.bag_only:
            codes = embed(encoder, code_ids, code_mask, bag_only=True)
        else:
            code_states = encoder(code_ids, code_mask)[-1]
            codes = encoder.pool(code_states, code_ids, code_mask)
        contrastive = matryoshka_info_nce(queries, codes, dimensions, log_scale)
        loss = contrastive
        if mlm_head is not None:
            selected = labels.to(args.device) != -100
            mlm = nn.functional.cross_entropy(mlm_head(code_states[selected]), labels.to(args.device)[selected])
            loss = contrastive + args.mlm_weight * mlm
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(encoder.parameters(), 1.0)
        optimizer.step()
        run.state["step"] += 1
        run.state["pairs"] += args.batch
        if run.state["step"] % args.log_every == 0:
            record = {"step": run.state["step"], "loss": float(contrastive), **({"mlm_loss": float(mlm)} if mlm_head is not None else {}), "temperature": float(1 / log_scale.exp()), "pairs": run.state["pairs"], "minutes": run.elapsed_minutes}
            if run.state["step"] % (args.log_every * 8) == 0:
                record["valid_mrr_500"] = validation_mrr(encoder, valid_q, valid_c, pad_id, args.max_tokens, bag_only=args.bag_only)
            run.log(record)
        if run.checkpoint_due():
            run.save(payload())
    run.save(payload())
    run.finish({"step": run.state["step"], "pairs": run.state["pairs"], "minutes": run.state["seconds"] / 60,
                "valid_mrr_500": validation_mrr(encoder, valid_q, valid_c, pad_id, args.max_tokens, bag_only=args.bag_only)})


if __name__ == "__main__":
    main()
