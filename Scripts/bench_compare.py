#!/usr/bin/env python3
"""Run `rnn bench` and Scripts/bench_pytorch.py on every config, each config in
its own process (so peak memory is per config), and print a markdown table with
the ratio ours / PyTorch (throughput; for memory, lower is better).

  python3 Scripts/bench_compare.py [--rnn .build/release/rnn] [--threads 2] [--seconds 3] [--config NAME ...]
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = ["charlm-lstm-2x256", "charlm-gru-2x256", "charlm-rnn-2x256", "wordlm-lstm-2x200", "classify-bilstm-1x128",
           "big-lstm-1x1024", "generate-lstm-2x512", "generate-lstm-1x128", "sgemm-1024", "sgemm-2048"]


def run(cmd, env=None):
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{out.stderr}")
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rnn", default=os.path.join(HERE, "..", ".build", "release", "rnn"))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seconds", type=float, default=3)
    p.add_argument("--config", action="append", default=[])
    args = p.parse_args()
    rows = []
    for name in args.config or CONFIGS:
        theirs = run([sys.executable, os.path.join(HERE, "bench_pytorch.py"), "--config", name, "--threads", str(args.threads),
                      "--seconds", str(args.seconds)])[0]
        ours = {}
        for blas in ["openblas", "builtin"]:
            env = dict(os.environ, RNN_BLAS=blas)
            ours[blas] = run([args.rnn, "bench", "--json", "--threads", str(args.threads), "--seconds", str(args.seconds), name],
                             env=env)[0]
        rows.append((name, ours, theirs))
        print(f"done {name}", file=sys.stderr, flush=True)

    print("| config | metric | ours (OpenBLAS) | ours (built-in) | PyTorch | ratio OpenBLAS | ratio built-in | peak MB ours / PyTorch |")
    print("|---|---|---|---|---|---|---|---|")
    for name, ours, theirs in rows:
        mode = theirs["mode"]
        if mode == "train":
            metric, key, better = "tokens/s", "tokens_per_s", "higher"
        elif mode == "generate":
            metric, key, better = "us/token", "token_us", "lower"
        else:
            metric, key, better = "GFLOP/s", "gflops", "higher"
        o, b, t = ours["openblas"][key], ours["builtin"][key], theirs[key]
        ratio = (lambda x: x / t) if better == "higher" else (lambda x: t / x)
        mem = f"{ours['openblas']['peak_rss_mb']:.0f} / {theirs['peak_rss_mb']:.0f}"
        print(f"| {name} | {metric} | {o:,.1f} | {b:,.1f} | {t:,.1f} | {ratio(o):.2f}x | {ratio(b):.2f}x | {mem} |")


if __name__ == "__main__":
    main()
