#!/usr/bin/env python3
"""Interleaved benchmark rounds: `rnn bench` (with its default GEMM choice, and
with the built-in kernel forced) against Scripts/bench_pytorch.py, and ONNX
Runtime (Scripts/bench_onnx.py) on the generation configs. Each measurement is
its own process (so peak memory is per config). Within a round every config is
measured by every contender back to back, the contenders' order rotated from
round to round, so a slow minute of a shared machine falls on all of them.

Per config it prints the median ratio ours / PyTorch (throughput; for us/token,
PyTorch's time / ours) with its min-max range over the rounds, and each
contender's median absolute figure, as a markdown table, after a header naming
the machine (CPU model and flags from /proc/cpuinfo), the date and the command.

  python3 Scripts/bench_compare.py [--rounds 7] [--rnn .build/release/rnn] [--threads 2] [--seconds 3]
                                   [--config NAME ...] [--ours default,builtin] [--raw rounds.jsonl] [--precision bf16]
                                   [--against OTHER_RNN]

With --against, the reference is another `rnn` binary (an older build, say)
instead of PyTorch: the same interleaving, ratios this build / that one, to show
that a change costs no speed.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = ["charlm-lstm-2x256", "charlm-gru-2x256", "charlm-rnn-2x256", "wordlm-lstm-2x200", "classify-bilstm-1x128",
           "big-lstm-1x1024", "generate-lstm-2x512", "generate-lstm-1x128", "sgemm-1024", "sgemm-2048"]
# What `RNN_BLAS` each of our contenders runs with (default: the per-shape choice `rnn` makes).
OURS = {"default": None, "builtin": "builtin", "openblas": "openblas"}


def run(cmd, env=None):
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{out.stderr}")
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")][0]


def metric(result):
    """(the compared figure, its unit, whether higher is better)."""
    if result["mode"] == "train":
        return result["tokens_per_s"], "tokens/s", True
    if result["mode"] == "beam":
        return result["sentences_per_s"], "sentences/s", True
    if result["mode"] == "generate":
        return result["token_us"], "us/token", False
    return result["gflops"], "GFLOP/s", True


def machine():
    """CPU model and flags as /proc/cpuinfo gives them, and the kernel."""
    model, flags = platform.processor() or "unknown", ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and model in ("unknown", "", platform.processor()):
                    model = value.strip()
                if key.strip() == "flags":
                    flags = value.split()
                    break
    except OSError:
        pass
    wanted = [f for f in flags if f.startswith(("avx", "fma", "amx", "f16c"))]
    return model, " ".join(wanted), os.cpu_count(), platform.release()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rnn", default=os.path.join(HERE, "..", ".build", "release", "rnn"))
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seconds", type=float, default=3)
    p.add_argument("--config", action="append", default=[])
    p.add_argument("--ours", default="default,builtin", help="our variants: default, builtin, openblas (comma-separated)")
    p.add_argument("--no-onnx", action="store_true", help="leave ONNX Runtime out of the generation configs")
    p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                   help="bf16: ours with --precision bf16 against PyTorch under torch.autocast (training configs)")
    p.add_argument("--raw", help="also append every measurement to this JSON-lines file")
    p.add_argument("--against", help="compare with this other rnn binary instead of PyTorch (before/after a change)")
    args = p.parse_args()
    if args.rounds < 1 or args.seconds <= 0 or args.threads < 1:
        sys.exit("--rounds and --threads must be at least 1 and --seconds positive")
    ours = [o.strip() for o in args.ours.split(",") if o.strip()]
    unknown = [o for o in ours if o not in OURS]
    if unknown:
        sys.exit(f"--ours: unknown variant {', '.join(unknown)}; choose from {', '.join(OURS)}")
    try:
        import onnxruntime  # noqa: F401
        have_onnx = not args.no_onnx and not args.against
    except ImportError:
        have_onnx = False
    reference = "before" if args.against else "pytorch"

    def contenders(name):
        common = ["--threads", str(args.threads), "--seconds", str(args.seconds)]
        bf16 = ["--precision", "bf16"] if args.precision == "bf16" else []
        # PyTorch trains under autocast in bf16; its generation stays float (no such option there).
        theirs = bf16 if not name.startswith(("generate-", "sgemm-")) else []
        out = []
        for o in ours:
            env = dict(os.environ)
            env.pop("RNN_BLAS", None)
            if OURS[o]:
                env["RNN_BLAS"] = OURS[o]
            out.append((f"ours-{o}", [args.rnn, "bench", "--json", *common, *(bf16 if not name.startswith("sgemm-") else []), name], env))
        if args.against:
            env = dict(os.environ)
            env.pop("RNN_BLAS", None)
            out.append(("before", [args.against, "bench", "--json", *common, *(bf16 if not name.startswith("sgemm-") else []), name], env))
        else:
            out.append(("pytorch", [sys.executable, os.path.join(HERE, "bench_pytorch.py"), "--config", name, *common, *theirs], None))
        if have_onnx and name.startswith("generate-"):
            out.append(("onnxruntime", [sys.executable, os.path.join(HERE, "bench_onnx.py"), "--config", name, *common], None))
        return out

    names = args.config or CONFIGS
    results = {name: {} for name in names}  # name -> contender -> [result per round]
    raw = open(args.raw, "a") if args.raw else None
    for r in range(args.rounds):
        for name in names:
            order = contenders(name)
            shift = r % len(order)
            for label, cmd, env in order[shift:] + order[:shift]:
                res = run(cmd, env)
                res["round"] = r
                res["contender"] = label
                results[name].setdefault(label, []).append(res)
                if raw:
                    raw.write(json.dumps(res) + "\n")
                    raw.flush()
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr, flush=True)

    model, flags, cores, kernel = machine()
    print(f"Machine: {model}, {cores} cores, Linux {kernel}; CPU flags: {flags}")
    print(f"Date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}")
    print(f"Command: python3 Scripts/bench_compare.py {' '.join(sys.argv[1:])}")
    gemm = results[names[0]].get("ours-default", [{}])[0].get("gemm")
    if gemm:
        print(f"Our default GEMM choice: {gemm} (see `rnn info`)")
    print()
    variants = [f"ours-{o}" for o in ours]
    reference_title = f"before: {args.against}" if args.against else "PyTorch"
    head = ["config", "metric"] + [f"{v} (median)" for v in variants] + [f"{reference_title} (median)", "ONNX RT (median)"]
    head += [f"ratio {v.removeprefix('ours-')} (median, range)" for v in variants] + [f"peak MB ours / {reference_title}"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for name in names:
        per = results[name]
        _, unit, higher = metric(per[reference][0])
        med = {k: statistics.median(metric(x)[0] for x in v) for k, v in per.items()}
        cells = [name, unit] + [f"{med[v]:,.1f}" for v in variants] + [f"{med[reference]:,.1f}"]
        cells.append(f"{med['onnxruntime']:,.1f}" if "onnxruntime" in med else "")
        for v in variants:
            ratios = []
            for a, b in zip(per[v], per[reference]):
                x, y = metric(a)[0], metric(b)[0]
                ratios.append(x / y if higher else y / x)
            cells.append(f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})")
        mem_ours = statistics.median(x["peak_rss_mb"] for x in per[variants[0]])
        mem_torch = statistics.median(x["peak_rss_mb"] for x in per[reference])
        cells.append(f"{mem_ours:.0f} / {mem_torch:.0f}")
        print("| " + " | ".join(cells) + " |")
        if "onnxruntime" in per:
            ratios = [metric(b)[0] / metric(a)[0] for a, b in zip(per[variants[0]], per["onnxruntime"])]
            print(f"|  | ONNX RT time / ours-{ours[0]} | {statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f}) |"
                  + " |" * (len(head) - 3))
    print(f"\n{args.rounds} rounds; each figure is the median over rounds of each process's median step; "
          f"ranges are the min-max of the per-round ratios.")


if __name__ == "__main__":
    main()
