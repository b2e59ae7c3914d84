"""Train the completion LM (next-token prediction on the FIM-mixed token stream of lm_data.py).

    /usr/bin/python3 training/lm_train.py --data DATA/lm-data --out DATA/runs/lm --minutes 30

Resumable and time-bounded (training_run.py): rerunning the same command continues from the last
checkpoint; --minutes counts every resume together, so raise it to train longer (e.g. --minutes 120
continues a 30-minute run for 90 more); --init starts a fresh run from another run's weights (new data, same
model). Windows start where lm_data.py allows (FIM examples, points along plain units). The learning rate warms up, stays flat, and decays linearly
over the last --cooldown-minutes of the budget. Logs and the validation loss go to OUT/log.jsonl.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lm_model import CompletionLM, LMConfig  # noqa: E402
from training_run import TrainingRun, learning_rate  # noqa: E402


def window_starts(data: Path, split: str, stream: np.ndarray, length: int) -> np.ndarray:
    """Where windows of `length` + 1 tokens may start (lm_data.py: at FIM examples and along plain units)."""
    starts = np.fromfile(data / f"{split}.starts.bin", dtype="<u4").astype(np.int64)
    return starts[starts <= stream.size - length - 1]


def windows(stream: np.ndarray, starts: np.ndarray, batch: int, length: int, generator: torch.Generator):
    picked = torch.randint(0, starts.size, (batch,), generator=generator).tolist()
    rows = np.stack([stream[starts[index]:starts[index] + length + 1] for index in picked]).astype(np.int64)
    return torch.from_numpy(rows)


def lm_loss(model, rows):
    logits = model(rows[:, :-1])
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), rows[:, 1:].reshape(-1))


def evaluate(model, valid: np.ndarray, valid_starts: np.ndarray, length: int, count: int = 48, device="cpu") -> float:
    """Mean next-token loss (nats) on `count` fixed validation windows, evenly spaced over the window starts."""
    model.eval()
    starts = valid_starts[np.linspace(0, valid_starts.size - 1, count).astype(np.int64)]
    losses = []
    with torch.no_grad():
        for chunk in range(0, count, 16):
            rows = torch.from_numpy(np.stack([valid[s:s + length + 1] for s in starts[chunk:chunk + 16]]).astype(np.int64))
            losses.append(float(lm_loss(model, rows.to(device))))
    model.train()
    return sum(losses) / len(losses)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="folder with train.bin, valid.bin (lm_data.py)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--init", type=Path, help="a run folder whose weights (and size) a fresh run starts from")
    parser.add_argument("--tokenizer", type=Path, default=Path(__file__).resolve().parent.parent / "models/completion/tokenizer.json")
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--max-positions", type=int, default=1024)
    parser.add_argument("--seq", type=int, default=256, help="training window in tokens")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--minutes", type=float, default=30.0, help="wall-clock budget, all resumes together")
    parser.add_argument("--cooldown-minutes", type=float, default=5.0)
    parser.add_argument("--max-steps", type=int, default=10_000_000)
    parser.add_argument("--checkpoint-minutes", type=float, default=5.0)
    parser.add_argument("--log-every", type=int, default=25)
    parser.add_argument("--eval-every", type=int, default=250)
    parser.add_argument("--device", default="cpu", help="cpu, or cuda where a GPU is lent")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    if args.device == "cpu":
        torch.set_num_threads(1)  # with OpenBLAS this was fastest on 2 cores (ml-stack.md)
    train = np.memmap(args.data / "train.bin", dtype="<u2", mode="r")
    valid = np.fromfile(args.data / "valid.bin", dtype="<u2")
    train_starts = window_starts(args.data, "train", train, args.seq)
    valid_starts = window_starts(args.data, "valid", valid, args.seq)
    vocab_size = json.loads(args.tokenizer.read_text())["model"]["vocab"].__len__() + 0
    vocab_size = max(vocab_size, int(train[: 1 << 20].max()) + 1)
    run = TrainingRun(args.out, args.minutes, args.checkpoint_minutes)
    checkpoint = run.resume(args.device)
    initial = torch.load(args.init / "checkpoint.pt", map_location=args.device) if args.init and not checkpoint else None
    saved = checkpoint or initial
    config = LMConfig(**saved["config"]) if saved else LMConfig(
        vocab_size=vocab_size, hidden_size=args.hidden, layers=args.layers, heads=args.heads, max_positions=args.max_positions)
    model = CompletionLM(config).to(args.device)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                                  lr=args.lr, betas=(0.9, 0.95))
    if checkpoint:
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
    elif initial:
        model.load_state_dict(initial["model"])  # a new optimizer: the data changed
        run.state["init"] = str(args.init)
    run.state.setdefault("tokens", 0)
    run.state.setdefault("seq", args.seq)
    data_summary = json.loads((args.data / "data.json").read_text())
    # The prompt layout the data taught (lm_export.py copies it into the model's config for the runtime).
    # The data's languages travel to the exported model's config, which the editor reads to pick its files.
    (args.out / "config.json").write_text(json.dumps({**config.to_json(), "train_seq": args.seq, "fim_order": data_summary.get("fim_order", "psm"),
                                                      "languages": data_summary.get("languages", ["javascript", "typescript", "tsx"])}, indent=2))
    generator = torch.Generator().manual_seed(args.seed + run.state["step"])
    payload = lambda: {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "config": config.to_json()}  # noqa: E731

    run.start()
    model.train()
    while run.running(args.max_steps):
        step = run.state["step"]
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(args.lr, step, args.warmup, run.minutes_left, args.cooldown_minutes)
        rows = windows(train, train_starts, args.batch, args.seq, generator).to(args.device)
        loss = lm_loss(model, rows)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        run.state["step"] = step + 1
        run.state["tokens"] += args.batch * args.seq
        if run.state["step"] % args.log_every == 0:
            record = {"step": run.state["step"], "loss": float(loss), "lr": optimizer.param_groups[0]["lr"],
                      "tokens": run.state["tokens"], "minutes": run.elapsed_minutes}
            if run.state["step"] % args.eval_every == 0:
                record["valid_loss"] = evaluate(model, valid, valid_starts, args.seq, device=args.device)
            run.log(record)
        if run.checkpoint_due():
            run.save(payload())
    run.save(payload())
    valid_loss = evaluate(model, valid, valid_starts, args.seq, count=128, device=args.device)
    run.finish({"step": run.state["step"], "tokens": run.state["tokens"], "minutes": run.state["seconds"] / 60,
                "train_seq": args.seq, "valid_loss": valid_loss, "valid_perplexity": math.exp(valid_loss),
                "valid_windows": 128, "config": config.to_json(),
                **({"init": run.state["init"]} if "init" in run.state else {})})


if __name__ == "__main__":
    main()
