#!/usr/bin/env python3
"""Roofline predictions of the engine's GPU kernels on an H100 SXM, before any GPU has run them.

For each named configuration (the shapes of src/Seq2Seq.Gpu/Benchmarking/BenchmarkConfig.cs) and each kernel of a
training step and of a greedy decode step on the default CUDA path (persistent recurrences, persistent decoder,
own matrix-product kernels), the FLOPs and the bytes moved, and the time max(FLOPs / 66.9 TFLOP/s,
bytes / 3.35 TB/s). Data that fits the 50 MB L2 and is read again within the kernel (the recurrent kernel U read at
every step of a persistent recurrence, the decoder's weights read at every decode step) is counted once from HBM:
a roofline of HBM traffic. It has no latency term, so a second column adds the known latencies the roofline ignores:
about 1 µs a grid barrier (T barriers a recurrence; 3 a decode step) and about 3 µs a kernel launch
(both assumptions, to be replaced by measurements). Usage: python3 benchmarks/predictions/roofline.py
"""

FLOPS = 66.9e12      # H100 SXM FP32 (non-tensor) peak, FLOP/s
HBM = 3.35e12        # H100 SXM HBM3 bandwidth, B/s
L2 = 50 * 2**20      # H100 L2, bytes
BARRIER = 1e-6       # one grid barrier of a persistent kernel, s (assumption)
LAUNCH = 3e-6        # one kernel launch on the stream, s (assumption)
F = 4                # bytes a float

CONFIGS = [
    # name, source vocab, target vocab, embedding (0 = one-hot), hidden, layers, batch, source steps, target steps, lstm only
    ("keras-char", 71, 93, 0, 256, 1, 64, 16, 59, False),
    ("word-medium", 8000, 8000, 256, 512, 2, 64, 20, 20, False),
    ("deepbench-lstm", 64, 64, 512, 512, 1, 64, 25, 1, True),
]


def kernel(rows, name, flops, bytes_, barriers=0):
    roof = max(flops / FLOPS, bytes_ / HBM)
    rows.append((name, flops, bytes_, roof, roof + barriers * BARRIER + LAUNCH))


def matmul(rows, name, m, n, k, accumulate=False):
    kernel(rows, name, 2.0 * m * n * k, F * (m * k + k * n + m * n * (2 if accumulate else 1)))


def side_forward(rows, side, vocab, e, h, layers, b, t):
    g = 4 * h
    for l in range(layers):
        if l == 0 and e == 0:
            kernel(rows, f"{side} L{l} one-hot gather (input projection)", b * t * g, F * 2 * b * t * g)
        else:
            inp = e if l == 0 else h
            if l == 0:
                kernel(rows, f"{side} embedding gather", 0, F * 2 * b * t * e)
            matmul(rows, f"{side} L{l} input projection x·W", t * b, g, inp)
        # the persistent recurrence: h·U and the cell at every step; U read once (L2-resident), gates in and out, h and c out
        flops = t * (2.0 * b * h * g + 30.0 * b * h)
        bytes_ = F * (h * g + t * b * g * 2 + t * b * h * 2)
        kernel(rows, f"{side} L{l} recurrence (persistent, {t} steps)", flops, bytes_, barriers=t)


def side_backward(rows, side, vocab, e, h, layers, b, t, has_top):
    g = 4 * h
    for l in reversed(range(layers)):
        flops = t * (2.0 * b * g * h + 30.0 * b * h)
        bytes_ = F * (h * g + t * b * g * 2 + t * b * h * (3 if has_top or l < layers - 1 else 2))
        kernel(rows, f"{side} L{l} backward recurrence (persistent)", flops, bytes_, barriers=t)
        matmul(rows, f"{side} L{l} dU = hᵀ·dz", h, g, t * b, accumulate=True)
        kernel(rows, f"{side} L{l} db = Σ dz", t * b * g, F * (t * b * g + g))
        if l == 0 and e == 0:
            kernel(rows, f"{side} L{l} dW scatter-add (one-hot)", t * b * g, F * (t * b * g + 2 * vocab * g))
        else:
            inp = e if l == 0 else h
            matmul(rows, f"{side} L{l} dW = xᵀ·dz", inp, g, t * b, accumulate=True)
            matmul(rows, f"{side} L{l} dx = dz·Wᵀ", t * b, inp, g)
            if l == 0:
                kernel(rows, f"{side} embedding scatter-add", t * b * e, F * (t * b * e + 2 * vocab * e))


def parameters(vs, vt, e, h, layers, lstm_only):
    g = 4 * h
    total = 0
    for vocab in ([vs] if lstm_only else [vs, vt]):
        if e:
            total += vocab * e
        for l in range(layers):
            inp = h if l else (e if e else vocab)
            total += inp * g + h * g + g
    if not lstm_only:
        total += h * vt + vt
    return total


def training_step(name, vs, vt, e, h, layers, b, ts, tt, lstm_only):
    rows = []
    side_forward(rows, "encoder", vs, e, h, layers, b, ts)
    if not lstm_only:
        side_forward(rows, "decoder", vt, e, h, layers, b, tt)
        matmul(rows, "output projection h·W_out", tt * b, vt, h)
        kernel(rows, "softmax cross-entropy (warp a row)", 5.0 * tt * b * vt, F * 2 * tt * b * vt)
        matmul(rows, "dW_out = hᵀ·dlogits", h, vt, tt * b, accumulate=True)
        kernel(rows, "db_out = Σ dlogits", tt * b * vt, F * tt * b * vt)
        matmul(rows, "dh_top = dlogits·W_outᵀ", tt * b, h, vt)
        side_backward(rows, "decoder", vt, e, h, layers, b, tt, True)
        side_backward(rows, "encoder", vs, e, h, layers, b, ts, False)
        p = parameters(vs, vt, e, h, layers, lstm_only)
        kernel(rows, f"RMSprop over {p:,} parameters", 6.0 * p, F * 5 * p)
    else:
        side_backward(rows, "encoder", vs, e, h, layers, b, ts, True)
    return rows


def decode_step(name, vs, vt, e, h, layers, b, matrix_bytes=F):
    """
    One step of the persistent greedy decoder: every layer's gates, the logits, the argmax, three grid barriers.
    The matrices (W, U, W_out) are read at matrix_bytes a value: 4 in FP32, 2 with --precision bf16 (the decoder's
    bfloat16 copies); the biases, a one-hot layer 0's gathered kernel rows and the logits stay FP32.
    """
    g = 4 * h
    flops = 0.0
    matrices = 0
    fp32_values = 0
    for l in range(layers):
        inp = h if l else (e if e else 0)
        flops += 2.0 * b * (inp + h) * g + 30.0 * b * h
        matrices += inp * g + h * g
        fp32_values += (0 if inp else b * g) + g   # a one-hot layer 0 reads only its B kernel rows, from the store
    flops += 2.0 * b * h * vt
    matrices += h * vt
    fp32_values += vt + b * vt * 2
    weights = matrix_bytes * matrices + F * (fp32_values - b * vt * 2)
    bytes_ = matrix_bytes * matrices + F * fp32_values
    roof = max(flops / FLOPS, bytes_ / HBM)
    return flops, bytes_, roof, roof + 3 * BARRIER, weights <= L2


def us(seconds):
    return f"{seconds * 1e6:,.1f}"


def main():
    print("| configuration | kernel | GFLOP | MB moved | roofline µs | + latency µs |")
    print("|---|---|---:|---:|---:|---:|")
    totals = []
    for cfg in CONFIGS:
        rows = training_step(*cfg)
        for kname, flops, bytes_, roof, lat in rows:
            print(f"| {cfg[0]} | {kname} | {flops / 1e9:.4f} | {bytes_ / 1e6:.3f} | {us(roof)} | {us(lat)} |")
        totals.append((cfg[0], sum(r[1] for r in rows), sum(r[2] for r in rows), sum(r[3] for r in rows), sum(r[4] for r in rows), len(rows)))
    print()
    print("| configuration | training step: GFLOP | MB moved | kernels | roofline | + latency |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, flops, bytes_, roof, lat, n in totals:
        print(f"| {name} | {flops / 1e9:.3f} | {bytes_ / 1e6:.1f} | {n} | {us(roof)} µs | {us(lat)} µs |")
    name, vs, vt, e, h, layers, b, ts = CONFIGS[2][:8]
    fwd = []
    side_forward(fwd, "encoder", vs, e, h, layers, b, ts)
    print()
    print(f"deepbench-lstm forward only ({len(fwd)} kernels): {sum(r[1] for r in fwd) / 1e9:.3f} GFLOP, {sum(r[2] for r in fwd) / 1e6:.1f} MB, roofline {us(sum(r[3] for r in fwd))} µs, + latency {us(sum(r[4] for r in fwd))} µs")
    print()
    print("| configuration | greedy decode step, batch | precision | GFLOP | KB moved | weights fit L2 | roofline | + 3 barriers |")
    print("|---|---:|---|---:|---:|---|---:|---:|")
    for cfg in CONFIGS:
        if cfg[9]:
            continue
        name, vs, vt, e, h, layers, b = cfg[:7]
        for batch in (1, b):
            for precision, matrix_bytes in (("fp32", F), ("bf16", 2)):
                flops, bytes_, roof, lat, fits = decode_step(name, vs, vt, e, h, layers, batch, matrix_bytes)
                print(f"| {name} | {batch} | {precision} | {flops / 1e9:.5f} | {bytes_ / 1e3:,.0f} | {'yes' if fits else 'no'} | {us(roof)} µs | {us(lat)} µs |")


if __name__ == "__main__":
    main()
