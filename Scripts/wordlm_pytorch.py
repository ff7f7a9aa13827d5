#!/usr/bin/env python3
"""A PyTorch word-level language model trained the way `rnn train lm --level word` trains,
to tell what the recipe reaches apart from what this library reaches (issue 18).

The model and the training loop follow the library's word-level defaults: an embedding drawn
from U(-0.1, 0.1), dropout on the embedding, between layers and on the output (a fresh mask
per step), an LSTM with PyTorch's default initialisation, a full softmax (optionally tied to the
embedding) or `nn.AdaptiveLogSoftmaxWithLoss`, truncated BPTT over `--batch` contiguous
streams with the state carried from batch to batch, plain SGD on the mean token loss with the
gradient norm clipped, and the rate divided by 4 after any epoch whose validation loss is not
the best so far (`--schedule plateau:0.25:0`). Tokens are the words of each line plus `<eos>`,
for every line, as the WikiText and Penn Treebank papers count them.

Prints one JSON line per epoch (validation and test perplexity of the model as it stands) and a
last line with the test perplexity of the best-validation model.

    python3 Scripts/wordlm_pytorch.py --data /path/to/ptb --epochs 15            # ptb.{train,valid,test}.txt
    python3 Scripts/wordlm_pytorch.py --data ../shared/data/wikitext-2 --adaptive 2000,10000 --div 2
"""
import argparse
import collections
import copy
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn


def corpus_files(directory):
    for train, valid, test in (("wiki.train.tokens", "wiki.valid.tokens", "wiki.test.tokens"),
                               ("ptb.train.txt", "ptb.valid.txt", "ptb.test.txt"),
                               ("train.txt", "valid.txt", "test.txt")):
        paths = [os.path.join(directory, name) for name in (train, valid, test)]
        if all(os.path.exists(p) for p in paths):
            return paths
    sys.exit(f"{directory}: no wiki.*.tokens, ptb.*.txt or train/valid/test.txt files")


def words(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            out.extend(line.split())
            out.append("<eos>")
    return out


def vocabulary(train):
    """Ids by decreasing training frequency (ties: first appearance), as the adaptive softmax needs."""
    counts = collections.Counter(train)
    first = {}
    for i, w in enumerate(train):
        first.setdefault(w, i)
    ordered = sorted(counts, key=lambda w: (-counts[w], first[w]))
    return {w: i for i, w in enumerate(ordered)}


def streams(ids, batch, device):
    n = len(ids) // batch
    return torch.tensor(ids[: n * batch], dtype=torch.long, device=device).view(batch, n).t().contiguous()


class WordLM(nn.Module):
    def __init__(self, vocab, emsize, hidden, layers, dropout, tied, cutoffs, div):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.embedding = nn.Embedding(vocab, emsize)
        nn.init.uniform_(self.embedding.weight, -0.1, 0.1)
        self.rnn = nn.LSTM(emsize, hidden, layers, dropout=dropout)
        self.adaptive = None
        if cutoffs:
            self.adaptive = nn.AdaptiveLogSoftmaxWithLoss(hidden, vocab, cutoffs, div_value=div)
        else:
            self.head = nn.Linear(hidden, vocab)
            if tied:
                if emsize != hidden:
                    sys.exit("--tied needs --emsize equal to --hidden")
                self.head.weight = self.embedding.weight

    def forward(self, x, y, state):
        out, state = self.rnn(self.drop(self.embedding(x)), state)
        out = self.drop(out).reshape(-1, out.size(-1))
        if self.adaptive is not None:
            loss = self.adaptive(out, y.reshape(-1)).loss
        else:
            loss = nn.functional.cross_entropy(self.head(out), y.reshape(-1))
        return loss, state


def detach(state):
    return tuple(s.detach() for s in state)


def evaluate(model, data, bptt):
    model.eval()
    total, count, state = 0.0, 0, None
    with torch.no_grad():
        for i in range(0, data.size(0) - 1, bptt):
            t = min(bptt, data.size(0) - 1 - i)
            loss, state = model(data[i:i + t], data[i + 1:i + 1 + t], state)
            total += loss.item() * t * data.size(1)
            count += t * data.size(1)
    return total / count


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="folder with wiki.*.tokens, ptb.*.txt or train/valid/test.txt")
    p.add_argument("--emsize", type=int, default=200)
    p.add_argument("--hidden", type=int, default=200)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--tied", action="store_true")
    p.add_argument("--adaptive", default="none", help="cutoffs such as 2000,10000, or none")
    p.add_argument("--div", type=float, default=2.0)
    p.add_argument("--lr", type=float, default=20.0)
    p.add_argument("--clip", type=float, default=0.25)
    p.add_argument("--batch", type=int, default=20)
    p.add_argument("--bptt", type=int, default=35)
    p.add_argument("--eval-batch", type=int, default=10)
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (0: PyTorch's choice)")
    p.add_argument("--tag", default="", help="copied into every output line")
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    train_words, valid_words, test_words = (words(f) for f in corpus_files(a.data))
    vocab = vocabulary(train_words)
    unknown = vocab.get("<unk>")
    def ids(ws):
        return [vocab[w] if w in vocab else unknown for w in ws]
    train = streams(ids(train_words), a.batch, a.device)
    valid = streams(ids(valid_words), a.eval_batch, a.device)
    test = streams(ids(test_words), a.eval_batch, a.device)
    cutoffs = [] if a.adaptive == "none" else [int(c) for c in a.adaptive.split(",")]
    model = WordLM(len(vocab), a.emsize, a.hidden, a.layers, a.dropout, a.tied, cutoffs, a.div).to(a.device)
    base = {"tag": a.tag, "train_tokens": len(train_words), "vocabulary": len(vocab), "test_tokens": len(test_words)}

    params = list(model.parameters())
    lr, best, best_state, start = a.lr, math.inf, None, time.time()
    for epoch in range(1, a.epochs + 1):
        model.train()
        state, seen = None, 0
        for i in range(0, train.size(0) - 1, a.bptt):
            t = min(a.bptt, train.size(0) - 1 - i)
            model.zero_grad(set_to_none=True)
            loss, state = model(train[i:i + t], train[i + 1:i + 1 + t], state)
            loss.backward()
            state = detach(state)
            nn.utils.clip_grad_norm_(params, a.clip)
            with torch.no_grad():
                torch._foreach_add_(params, [q.grad for q in params], alpha=-lr)
            seen += t * a.batch
        v, te = evaluate(model, valid, a.bptt), evaluate(model, test, a.bptt)
        print(json.dumps({**base, "epoch": epoch, "lr": lr, "valid_ppl": round(math.exp(v), 2),
                          "test_ppl": round(math.exp(te), 2), "seconds": round(time.time() - start, 1)}), flush=True)
        if v < best:
            best, best_state = v, copy.deepcopy(model.state_dict())
        else:
            lr /= 4
    model.load_state_dict(best_state)
    print(json.dumps({**base, "final": True, "best_valid_ppl": round(math.exp(best), 2),
                      "test_ppl_of_best": round(math.exp(evaluate(model, test, a.bptt)), 2)}), flush=True)


if __name__ == "__main__":
    main()
