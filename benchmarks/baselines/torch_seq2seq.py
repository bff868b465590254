#!/usr/bin/env python3
"""PyTorch peer of `seq2seq bench`: the same named configurations, timed the same way.

The model is the classic Keras encoder-decoder written with torch.nn.LSTM (cuDNN on a GPU): one-hot or embedded
inputs, an LSTM encoder whose final (h, c) of every layer starts the LSTM decoder, a Linear output layer,
cross-entropy, RMSprop (lr 1e-3, alpha 0.9, eps 1e-7, as Keras). Synthetic data of the configuration's shapes,
every sequence full length. Each figure is the median of N timed repetitions after 2 warm-up ones, with the
device synchronised before every clock read. FP32 throughout (TF32 off), as the engine computes.

Greedy decoding is the usual PyTorch loop: one decoder step, Linear, argmax fed back as the next input, and a
check of the finished flags on the host every step (the `.item()` that lets such a loop stop early).

Prints one JSON object per configuration with the same fields as `seq2seq bench --json`.
Needs only PyTorch (written against 2.11):  python3 torch_seq2seq.py [--config all] [--steps 10] [--device cuda]
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

CONFIGS = {
    "keras-char": dict(src_vocab=71, tgt_vocab=93, embedding=0, hidden=256, layers=1, batch=64, src_steps=16, tgt_steps=59, lstm_only=False),
    "word-medium": dict(src_vocab=8000, tgt_vocab=8000, embedding=256, hidden=512, layers=2, batch=64, src_steps=20, tgt_steps=20, lstm_only=False),
    "deepbench-lstm": dict(src_vocab=64, tgt_vocab=64, embedding=512, hidden=512, layers=1, batch=64, src_steps=25, tgt_steps=1, lstm_only=True),
}


class Seq2Seq(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        e = c["embedding"]
        self.src_embed = nn.Embedding(c["src_vocab"], e) if e else None
        self.tgt_embed = nn.Embedding(c["tgt_vocab"], e) if e else None
        self.encoder = nn.LSTM(e or c["src_vocab"], c["hidden"], c["layers"])
        self.decoder = nn.LSTM(e or c["tgt_vocab"], c["hidden"], c["layers"])
        self.output = nn.Linear(c["hidden"], c["tgt_vocab"])

    def embed(self, ids, table, vocab):
        return table(ids) if table is not None else F.one_hot(ids, vocab).float()

    def encode(self, src):
        _, state = self.encoder(self.embed(src, self.src_embed, self.c["src_vocab"]))
        return state

    def decode(self, tokens, state):
        y, state = self.decoder(self.embed(tokens, self.tgt_embed, self.c["tgt_vocab"]), state)
        return self.output(y), state

    def forward(self, src, tgt_in):
        logits, _ = self.decode(tgt_in, self.encode(src))
        return logits


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def median_seconds(fn, steps, device, warmup=2):
    for _ in range(warmup):
        fn()
    sync(device)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_seq2seq(c, steps, device):
    torch.manual_seed(1)
    model = Seq2Seq(c).to(device)
    opt = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    b, ts, tt = c["batch"], c["src_steps"], c["tgt_steps"]
    src = torch.randint(4, c["src_vocab"], (ts, b), device=device)
    tgt_in = torch.randint(4, c["tgt_vocab"], (tt, b), device=device)
    tgt_out = torch.randint(4, c["tgt_vocab"], (tt, b), device=device)

    def train_step():
        opt.zero_grad(set_to_none=True)
        logits = model(src, tgt_in)
        loss = F.cross_entropy(logits.reshape(-1, c["tgt_vocab"]), tgt_out.reshape(-1))
        loss.backward()
        opt.step()

    def forward():
        with torch.no_grad():
            logits = model(src, tgt_in)
            F.cross_entropy(logits.reshape(-1, c["tgt_vocab"]), tgt_out.reshape(-1))

    def greedy(rows):
        with torch.no_grad():
            state = model.encode(src[:, :rows])
            token = torch.full((1, rows), 1, dtype=torch.long, device=device)
            finished = torch.zeros(rows, dtype=torch.bool, device=device)
            for _ in range(tt):
                logits, state = model.decode(token, state)
                token = logits.argmax(-1)
                finished |= token[0] == 2
                if finished.all().item():  # the host check a stopping loop makes every step
                    break

    train = median_seconds(train_step, steps, device)
    fwd = median_seconds(forward, steps, device)
    b1 = median_seconds(lambda: greedy(1), steps, device) / tt
    b64 = median_seconds(lambda: greedy(b), steps, device) / tt
    return dict(train_step_ms=train * 1e3, forward_ms=fwd * 1e3, train_tokens_per_s=b * (ts + tt) / train,
                decode_step_us_b1=b1 * 1e6, decode_step_us_b64=b64 * 1e6)


def bench_lstm(c, steps, device):
    torch.manual_seed(1)
    lstm = nn.LSTM(c["embedding"], c["hidden"], 1).to(device)
    x = torch.randn(c["src_steps"], c["batch"], c["embedding"], device=device, requires_grad=True)
    grad = torch.randn(c["src_steps"], c["batch"], c["hidden"], device=device)

    def forward():
        with torch.no_grad():
            lstm(x)

    def both():
        y, _ = lstm(x)
        y.backward(grad)

    fwd = median_seconds(forward, steps, device)
    fb = median_seconds(both, steps, device)
    return dict(train_step_ms=fb * 1e3, forward_ms=fwd * 1e3, train_tokens_per_s=c["batch"] * c["src_steps"] / fb,
                decode_step_us_b1=None, decode_step_us_b64=None)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="all", choices=[*CONFIGS, "all"])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    device = torch.device(args.device)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu ({torch.get_num_threads()} threads)"
    for config in CONFIGS if args.config == "all" else [args.config]:
        c = CONFIGS[config]
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        figures = bench_lstm(c, args.steps, device) if c["lstm_only"] else bench_seq2seq(c, args.steps, device)
        peak = torch.cuda.max_memory_allocated(device) if device.type == "cuda" else 0
        print(json.dumps(dict(config=config, device=name, kernels=f"pytorch {torch.__version__}", **figures,
                              peak_memory_bytes=peak, steps=args.steps)), flush=True)


if __name__ == "__main__":
    main()
