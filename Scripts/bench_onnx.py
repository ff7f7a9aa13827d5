#!/usr/bin/env python3
"""Generation with ONNX Runtime: the same LSTM as `rnn bench generate-lstm-*` and
Scripts/bench_pytorch.py (embedding -> nn.LSTM -> linear), exported one step at a
time with torch.onnx (token, h, c) -> (logits, h, c) and run by onnxruntime at
batch 1, sampling from the softmax in numpy. Prints the JSON fields `rnn bench
--json` prints (median us/token and its spread).

  pip install torch onnx onnxruntime
  python3 Scripts/bench_onnx.py [--config generate-lstm-2x512] [--threads 2] [--seconds 3]
"""
import argparse
import json
import os
import tempfile
import warnings

import numpy as np
import onnxruntime as ort
import torch
from torch import nn

from bench_pytorch import GENERATE, peak_rss_mb, quantile, spread, timed


class Step(nn.Module):
    """One generation step: token [1, 1] and state [L, 1, H] -> logits [1, V] and the new state."""

    def __init__(self, c):
        super().__init__()
        self.emb = nn.Embedding(c["vocab"], c["emb"])
        self.rnn = nn.LSTM(c["emb"], c["hidden"], c["layers"])
        self.head = nn.Linear(c["hidden"], c["vocab"])

    def forward(self, token, h, c):
        out, (h, c) = self.rnn(self.emb(token), (h, c))
        return self.head(out[-1]), h, c


def bench(name, c, threads, seconds):
    torch.manual_seed(1)
    model = Step(c).eval()
    L, H = c["layers"], c["hidden"]
    token = torch.zeros(1, 1, dtype=torch.long)
    h0 = torch.zeros(L, 1, H)
    warnings.filterwarnings("ignore")  # the exporter's notes on the legacy path and on batch sizes
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "step.onnx")
        torch.onnx.export(model, (token, h0, h0.clone()), path, input_names=["token", "h", "c"],
                          output_names=["logits", "h_out", "c_out"], dynamo=False)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(1)
    state = {"token": np.zeros((1, 1), dtype=np.int64), "h": np.zeros((L, 1, H), np.float32), "c": np.zeros((L, 1, H), np.float32)}

    def step():
        logits, state["h"], state["c"] = session.run(None, state)
        z = logits[0] - logits[0].max()
        p = np.exp(z)
        state["token"][0, 0] = rng.choice(len(p), p=p / p.sum())

    times = timed(step, seconds, 50)
    s = quantile(times, 0.5)
    flops = 2 * H * c["vocab"]
    for l in range(L):
        flops += 2 * 4 * H * ((c["emb"] if l == 0 else H) + H)
    return {"config": name, "mode": "generate", "token_us": s * 1e6, "spread": spread(times, 1e6), "tokens_per_s": 1 / s,
            "gflops": flops / s / 1e9, "peak_rss_mb": peak_rss_mb(), "impl": "onnxruntime", "onnxruntime": ort.__version__,
            "threads": threads}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", action="append", default=[])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seconds", type=float, default=3)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    for name in args.config or list(GENERATE):
        if name not in GENERATE:
            raise SystemExit(f"{name}: ONNX Runtime runs the generation configs only ({', '.join(GENERATE)})")
        print(json.dumps(bench(name, GENERATE[name], args.threads, args.seconds)), flush=True)


if __name__ == "__main__":
    main()
