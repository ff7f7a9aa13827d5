#!/usr/bin/env python3
"""Write Tests/RecurrentTests/Fixtures/bleu.json: corpora of hypotheses and
references with sacreBLEU's corpus BLEU (default: 13a tokenization, exp
smoothing) and chrF (default: character 6-grams, beta 2), and 13a
tokenizations of tricky lines, for the Swift BLEU and chrF tests.

Run by hand (needs sacrebleu: pip install sacrebleu):  python3 Scripts/make_bleu_fixtures.py
"""
import json
import os
import random

import sacrebleu
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "RecurrentTests", "Fixtures", "bleu.json")

TRICKY = [
    "Two young, White males are outside near many bushes.",
    "A man (in a hat) sells 3,500.25 dollars' worth of fruit-flavored ice-cream... at 5-6pm!",
    "He said &quot;no&quot; &amp; left; she didn't -- or did she?",
    "Ein Mädchen in einem rosa Kleid klettert auf die Treppe.",
    "x.y,z 1.2 a.3 4,b {braces} [brackets] `tick` ~tilde~ @at# $5% ^caret* _under_ +plus= |pipe| \\back/ <less>",
    "  leading and trailing spaces   and\ttabs  ",
    "",
    "end-\nof-line",
]

WORDS = ("a man woman dog child two three in on the with is are playing running red blue shirt street "
         "water ball grass near of and at while sitting standing young black white little girl boy").split()


def noisy(ref, rng, rate):
    out = []
    for w in ref.split():
        r = rng.random()
        if r < rate / 3:
            continue
        if r < 2 * rate / 3:
            out.append(rng.choice(WORDS))
            continue
        out.append(w)
        if r < rate:
            out.append(rng.choice(WORDS))
    return " ".join(out)


def corpus(seed, n, rate, punctuate=True):
    rng = random.Random(seed)
    refs, hyps = [], []
    for _ in range(n):
        words = [rng.choice(WORDS) for _ in range(rng.randint(3, 14))]
        ref = " ".join(words)
        if punctuate:
            ref = ref[0].upper() + ref[1:] + rng.choice([".", "!", " .", ", too.", "?"])
        refs.append(ref)
        hyps.append(noisy(ref, rng, rate))
    return hyps, refs


def case(name, hyps, refs):
    bleu = sacrebleu.corpus_bleu(hyps, [refs])
    chrf = sacrebleu.corpus_chrf(hyps, [refs])
    return {"name": name, "hypotheses": hyps, "references": refs, "bleu": bleu.score, "chrf": chrf.score,
            "bleu_precisions": bleu.precisions, "bleu_bp": bleu.bp, "sys_len": bleu.sys_len, "ref_len": bleu.ref_len}


def main():
    cases = [
        case("tricky lines against themselves, reversed", [" ".join(reversed(t.split())) for t in TRICKY], TRICKY),
        case("perfect", TRICKY[:4], TRICKY[:4]),
        case("light noise", *corpus(1, 200, 0.2)),
        case("heavy noise", *corpus(2, 200, 0.7)),
        case("short hypotheses (brevity penalty)", [" ".join(h.split()[:3]) for h in corpus(3, 50, 0.1)[0]], corpus(3, 50, 0.1)[1]),
        case("no 4-gram matches (exp smoothing)", ["a man dog sat down", "the ball"], ["a man dog in water", "the ball is red"]),
        case("no matches", ["zzz yyy"], ["a man"]),
        case("empty hypotheses", ["", ""], ["a man", "two dogs"]),
    ]
    tokenizer = Tokenizer13a()
    out = {"generator": "Scripts/make_bleu_fixtures.py", "sacrebleu": sacrebleu.__version__,
           "tokenize13a": [{"line": t, "tokens": tokenizer(t.rstrip())} for t in TRICKY], "cases": cases}
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(OUT, len(cases), "cases")


if __name__ == "__main__":
    main()
