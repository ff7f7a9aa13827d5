#!/usr/bin/env python3
"""The `rnn bench` configs in PyTorch, printing the same JSON fields, so the two
can be compared on one machine (Scripts/bench_compare.py runs both).

Training: embedding -> nn.RNN/LSTM/GRU -> linear -> cross-entropy -> backward ->
clip_grad_norm_(5) -> Adam, on random token data, timed after warm-up. Configs with
dense=True (numeric sequences) feed random values [T, B, emb] straight to the RNN.
Generation: batch 1, one token at a time through nn.LSTM, sampling from the softmax.
Beam: batched beam search of width 5 over the Seq2Seq mirror, every hypothesis to the full length.
Times are medians of the timed repetitions; "spread" gives min, p10, median, p90, max, mean and count.
GFLOP/s counts 3 x (recurrent GEMM flops + output layer flops), as `rnn bench` does.

  python3 Scripts/bench_pytorch.py [--config NAME ...] [--threads N] [--seconds S] [--precision fp32|bf16]
"""
import argparse
import json
import resource
import time

import torch
from torch import nn

TRAIN = {
    "charlm-lstm-2x256": dict(cell="lstm", layers=2, bi=False, vocab=65, emb=64, hidden=256, batch=32, seq=64, head="per-token"),
    "charlm-gru-2x256": dict(cell="gru", layers=2, bi=False, vocab=65, emb=64, hidden=256, batch=32, seq=64, head="per-token"),
    "charlm-rnn-2x256": dict(cell="rnn", layers=2, bi=False, vocab=65, emb=64, hidden=256, batch=32, seq=64, head="per-token"),
    "wordlm-lstm-2x200": dict(cell="lstm", layers=2, bi=False, vocab=10000, emb=200, hidden=200, batch=20, seq=20, head="per-token"),
    "classify-bilstm-1x128": dict(cell="lstm", layers=1, bi=True, vocab=20000, emb=100, hidden=128, batch=64, seq=40, head="last-step"),
    "classify-ts-bilstm-2x64": dict(cell="lstm", layers=2, bi=True, vocab=0, emb=12, hidden=64, batch=16, seq=29, head="last-step", dense=True),
    "big-lstm-1x1024": dict(cell="lstm", layers=1, bi=False, vocab=1000, emb=512, hidden=1024, batch=64, seq=50, head="per-token"),
}
# Seq2Seq (Scripts/torch_models.py) with general attention: seq source words and seq target tokens per pair.
TRANSLATE = {
    "translate-gru-256": dict(cell="gru", layers=1, vocab=8000, emb=256, hidden=256, batch=64, seq=16),
}
BEAM = {
    "beam5-gru-256": dict(cell="gru", layers=1, vocab=8000, emb=256, hidden=256, batch=64, seq=16),
}
GENERATE = {
    "generate-lstm-2x512": dict(layers=2, hidden=512, vocab=65, emb=64),
    "generate-lstm-1x128": dict(layers=1, hidden=128, vocab=65, emb=64),
}
GEMM = {"sgemm-1024": 1024, "sgemm-2048": 2048}
GATES = {"lstm": 4, "gru": 3, "rnn": 1}


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(body, seconds, warmup):
    """Seconds of each call of `body` after `warmup` untimed calls, until `seconds` have passed (at least 3)."""
    for _ in range(warmup):
        body()
    times, start = [], time.perf_counter()
    last = start
    while True:
        body()
        now = time.perf_counter()
        times.append(now - last)
        last = now
        if now - start >= seconds and len(times) >= 3:
            return sorted(times)


def quantile(sorted_times, q):
    x = q * (len(sorted_times) - 1)
    i = int(x)
    f = x - i
    return sorted_times[i] * (1 - f) + sorted_times[i + 1] * f if i + 1 < len(sorted_times) else sorted_times[i]


def spread(sorted_times, scale):
    """The same summary `rnn bench --json` prints: min, p10, median, p90, max, mean, n (in the unit of `scale`)."""
    q = lambda v: round(v * scale, 4)
    return {"min": q(sorted_times[0]), "p10": q(quantile(sorted_times, 0.1)), "median": q(quantile(sorted_times, 0.5)),
            "p90": q(quantile(sorted_times, 0.9)), "max": q(sorted_times[-1]),
            "mean": q(sum(sorted_times) / len(sorted_times)), "n": len(sorted_times)}


def train_flops(c):
    G, H, D = GATES[c["cell"]], c["hidden"], 2 if c["bi"] else 1
    recurrent = 0
    for l in range(c["layers"]):
        I = c["emb"] if l == 0 else D * H
        recurrent += D * 2 * c["batch"] * c["seq"] * (I * G * H + H * G * H)
    out = 2 * c["batch"] * c["seq"] * D * H * c["vocab"] if c["head"] == "per-token" else 2 * c["batch"] * D * H * 2
    return 3 * (recurrent + out)


def bench_train(name, c, seconds, bf16=False):
    torch.manual_seed(1)
    kinds = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}
    D = 2 if c["bi"] else 1
    dense = c.get("dense", False)
    emb = nn.Identity() if dense else nn.Embedding(c["vocab"], c["emb"])
    rnn = kinds[c["cell"]](c["emb"], c["hidden"], c["layers"], bidirectional=c["bi"])
    classes = c["vocab"] if c["head"] == "per-token" else 2
    head = nn.Linear(D * c["hidden"], classes)
    params = list(emb.parameters()) + list(rnn.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=1e-3)
    T, B = c["seq"], c["batch"]
    inputs = torch.randn(T, B, c["emb"]) if dense else torch.randint(0, c["vocab"], (T, B))
    targets = torch.randint(0, classes, (T * B,) if c["head"] == "per-token" else (B,))

    def step():
        opt.zero_grad(set_to_none=False)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            out, _ = rnn(emb(inputs))
            feats = out.reshape(T * B, -1) if c["head"] == "per-token" else out[-1]
            loss = nn.functional.cross_entropy(head(feats), targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        opt.step()

    times = timed(step, seconds, 2)
    s = quantile(times, 0.5)
    return {"config": name, "mode": "train", "step_ms": s * 1000, "spread": spread(times, 1000), "tokens_per_s": T * B / s,
            "gflops": train_flops(c) / s / 1e9, "peak_rss_mb": peak_rss_mb()}


def translate_flops(c):
    G, H, E, BT, S = GATES[c["cell"]], c["hidden"], c["emb"], c["batch"] * c["seq"], c["seq"]
    encoder = 2 * 2 * BT * (E * G * H + H * G * H)
    decoder = 2 * BT * (E * G * H + H * G * H)
    attention = 2 * BT * 2 * H * H + 2 * BT * S * H + 2 * BT * S * 2 * H
    output = 2 * BT * 3 * H * H + 2 * BT * H * c["vocab"]
    return 3 * (encoder + decoder + attention + output)


def seq2seq_model(c):
    """The translate and beam configs' model: the Seq2Seq mirror with general attention, seeded."""
    import os
    import sys
    sys.path.insert(0, os.path.dirname(__file__))
    from torch_models import Seq2Seq
    torch.manual_seed(1)
    return Seq2Seq({"cell": c["cell"], "sourceVocabularySize": c["vocab"], "targetVocabularySize": c["vocab"],
                    "embeddingSize": c["emb"], "encoderHiddenSize": c["hidden"], "encoderLayers": c["layers"],
                    "decoderHiddenSize": c["hidden"], "decoderLayers": c["layers"], "attention": "general",
                    "attentionSize": 0, "inputFeeding": False, "dropout": 0.0})


def bench_translate(name, c, seconds):
    import random
    model = seq2seq_model(c)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    r = random.Random(1)
    sources = [[r.randrange(4, c["vocab"]) for _ in range(c["seq"] - 1)] + [3] for _ in range(c["batch"])]
    targets = [[r.randrange(4, c["vocab"]) for _ in range(c["seq"] - 1)] for _ in range(c["batch"])]

    def step():
        opt.zero_grad(set_to_none=False)
        loss, _ = model(sources, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()

    times = timed(step, seconds, 2)
    s = quantile(times, 0.5)
    return {"config": name, "mode": "train", "step_ms": s * 1000, "spread": spread(times, 1000), "tokens_per_s": c["batch"] * c["seq"] / s,
            "gflops": translate_flops(c) / s / 1e9, "peak_rss_mb": peak_rss_mb()}


BEAM_WIDTH = 5


def beam_flops(c):
    """As `rnn bench` counts a beam batch: encoder and key projection once, then per step and hypothesis
    the decoder cell, attention scores and context, the combine layer and the output layer."""
    G, H, E, S, B = GATES[c["cell"]], c["hidden"], c["emb"], c["seq"], c["batch"]
    L = c["seq"] - 1 + 5
    encoder = 2 * 2 * B * S * (E * G * H + H * G * H) + 2 * B * S * 2 * H * H
    per_step = 2 * (E * G * H + H * G * H) + 2 * S * 2 * H * 2 + 2 * 3 * H * H + 2 * H * c["vocab"]
    return encoder + B * BEAM_WIDTH * L * per_step


@torch.no_grad()
def beam_search(model, sources, width, length):
    """Batched beam search over the Seq2Seq mirror: the encoder and the attention keys once,
    then `length` decoder steps for all `B * width` hypotheses together (top-k over width x vocabulary
    per sentence, states reordered by the chosen beams). Returns the best ids per sentence."""
    B, S = len(sources), max(map(len, sources))
    src = torch.full((S, B), model.PAD, dtype=torch.long)
    for b, x in enumerate(sources):
        src[:len(x), b] = torch.tensor(x)
    lengths = torch.tensor([len(x) for x in sources])
    packed = nn.utils.rnn.pack_padded_sequence(model.source_embedding(src), lengths, enforce_sorted=False)
    out, fin = model.encoder(packed)
    memory, _ = nn.utils.rnn.pad_packed_sequence(out, total_length=S)
    state = model.initial_state(fin[0] if isinstance(fin, tuple) else fin, B)
    keys = model.attention.key(memory)                                    # general attention: once
    K, V = width, model.config["targetVocabularySize"]
    expand = torch.arange(B).repeat_interleave(K)                         # hypothesis -> sentence
    memory, keys, lengths = memory[:, expand], keys[:, expand], lengths[expand]
    state = tuple(s[:, expand] for s in state) if isinstance(state, tuple) else state[:, expand]
    mask = torch.arange(S)[None, :] >= lengths[:, None]
    scores = torch.full((B, K), float("-inf"))
    scores[:, 0] = 0
    tokens = torch.full((B * K,), model.BOS, dtype=torch.long)
    history = []
    for _ in range(length):
        h, state = model.decoder(model.target_embedding(tokens)[None], state)
        e = torch.einsum("bq,sbq->bs", h[0], keys).masked_fill(mask, float("-inf"))
        context = torch.einsum("bs,sbk->bk", torch.softmax(e, dim=-1), memory)
        logp = torch.log_softmax(model.head(torch.tanh(model.combine(torch.cat([context, h[0]], dim=-1)))), dim=-1)
        best, index = (scores[:, :, None] + logp.view(B, K, V)).view(B, K * V).topk(K, dim=-1)
        beam, tokens = index // V, (index % V).view(-1)
        chosen = (beam + torch.arange(B)[:, None] * K).view(-1)
        state = tuple(s[:, chosen] for s in state) if isinstance(state, tuple) else state[:, chosen]
        history = [t[chosen] for t in history] + [tokens]
        scores = best
    return torch.stack(history, dim=1).view(B, K, -1)[:, 0]


def bench_beam(name, c, seconds):
    import random
    model = seq2seq_model(c).eval()
    with torch.no_grad():
        model.head.bias[model.EOS] = -1e4  # as on our side: <eos> never wins
    r = random.Random(1)
    sources = [[r.randrange(4, c["vocab"]) for _ in range(c["seq"] - 1)] + [3] for _ in range(c["batch"])]
    times = timed(lambda: beam_search(model, sources, BEAM_WIDTH, c["seq"] - 1 + 5), seconds, 1)
    s = quantile(times, 0.5)
    return {"config": name, "mode": "beam", "batch_ms": s * 1000, "spread": spread(times, 1000), "sentences_per_s": c["batch"] / s,
            "gflops": beam_flops(c) / s / 1e9, "peak_rss_mb": peak_rss_mb()}


def bench_generate(name, c, seconds):
    torch.manual_seed(1)
    emb = nn.Embedding(c["vocab"], c["emb"])
    rnn = nn.LSTM(c["emb"], c["hidden"], c["layers"])
    head = nn.Linear(c["hidden"], c["vocab"])
    state = [None, torch.zeros(1, 1, dtype=torch.long)]

    @torch.no_grad()
    def step():
        out, state[0] = rnn(emb(state[1]), state[0])
        probs = torch.softmax(head(out[-1]), dim=-1)
        state[1] = torch.multinomial(probs, 1)

    times = timed(step, seconds, 50)
    s = quantile(times, 0.5)
    H, flops = c["hidden"], 2 * c["hidden"] * c["vocab"]
    for l in range(c["layers"]):
        flops += 2 * 4 * H * ((c["emb"] if l == 0 else H) + H)
    return {"config": name, "mode": "generate", "token_us": s * 1e6, "spread": spread(times, 1e6), "tokens_per_s": 1 / s,
            "gflops": flops / s / 1e9, "peak_rss_mb": peak_rss_mb()}


def bench_gemm(name, n, seconds):
    a, b = torch.rand(n, n), torch.rand(n, n)
    times = timed(lambda: torch.mm(a, b), seconds / 2, 1)
    s = times[0]  # the best run, as `rnn bench` reports GEMM
    return {"config": name, "mode": "gemm", "ms": s * 1000, "spread": spread(times, 1000), "tokens_per_s": 0, "gflops": 2 * n ** 3 / s / 1e9,
            "peak_rss_mb": peak_rss_mb()}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", action="append", default=[])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seconds", type=float, default=3)
    p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                   help="bf16: training under torch.autocast('cpu', dtype=torch.bfloat16)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    names = args.config or list(TRAIN) + list(TRANSLATE) + list(BEAM) + list(GENERATE) + list(GEMM)
    for name in names:
        if name in TRAIN:
            r = bench_train(name, TRAIN[name], args.seconds, bf16=args.precision == "bf16")
        elif name in TRANSLATE:
            r = bench_translate(name, TRANSLATE[name], args.seconds)
        elif name in BEAM:
            r = bench_beam(name, BEAM[name], args.seconds)
        elif name in GENERATE:
            r = bench_generate(name, GENERATE[name], args.seconds)
        elif name in GEMM:
            r = bench_gemm(name, GEMM[name], args.seconds)
        else:
            raise SystemExit(f"unknown config {name}")
        r.update({"impl": "pytorch", "torch": torch.__version__, "threads": args.threads, "precision": args.precision})
        print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
