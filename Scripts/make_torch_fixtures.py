#!/usr/bin/env python3
"""Write the PyTorch reference fixtures that the Swift parity tests load.

For each recurrent cell (rnn_tanh, rnn_relu, lstm, gru) and every combination of
{1, 2 layers} x {uni-, bidirectional} x {equal, ragged lengths} x {zero, given
initial state}, it builds the torch.nn module, runs it in float64 on float32-
representable inputs, and stores in Tests/RecurrentTests/Fixtures/recurrent_<cell>.safetensors,
under the prefix "<combo>/":

  x [T,B,I], lengths [B], h0/c0 [L*D,B,H] (when given), every parameter under its
  state_dict name, the outputs out [T,B,D*H], h_n, c_n, the random weights
  r_out, r_h, r_c of the loss  L = sum(out*r_out) + sum(h_n*r_h) + sum(c_n*r_c),
  and the gradients grad.x, grad.h0, grad.c0 and grad.<parameter name>.

Ragged batches go through pack_padded_sequence / pad_packed_sequence, so padded
steps output zeros and the reverse direction starts at each sequence's end.
It also writes layers.safetensors (nn.Linear, nn.Embedding), losses.safetensors
(F.cross_entropy with ignore_index, mean/sum and label smoothing) and
optimizers.safetensors (every torch.optim config below, 5 steps on fixed gradients) and
attention.safetensors (dot, general and additive attention over a ragged memory:
context, weights and every gradient of L = sum(c*r_c) + sum(a*r_a)).

Run by hand (needs torch and safetensors):  python3 Scripts/make_torch_fixtures.py [NAME ...]
(NAMEs: recurrent, layers, optimizers, losses, attention; all when none is given).
"""
import os
import sys
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from safetensors.torch import save_file

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "RecurrentTests", "Fixtures")
T, B, I, H = 5, 3, 4, 3
RAGGED = [5, 2, 4]


def rounded(t):
    """float32-representable values, as float64."""
    return t.float().double()


def module(cell, layers, bidirectional):
    kw = dict(input_size=I, hidden_size=H, num_layers=layers, bidirectional=bidirectional)
    if cell == "lstm":
        return torch.nn.LSTM(**kw)
    if cell == "gru":
        return torch.nn.GRU(**kw)
    return torch.nn.RNN(nonlinearity="tanh" if cell == "rnn_tanh" else "relu", **kw)


def combo(cell, layers, bidirectional, ragged, given, seed):
    torch.manual_seed(seed)
    m = module(cell, layers, bidirectional).double()
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(rounded(p))
    D = 2 if bidirectional else 1
    lengths = RAGGED if ragged else [T] * B
    x = rounded(torch.randn(T, B, I)).requires_grad_()
    h0 = rounded(torch.randn(layers * D, B, H)).requires_grad_() if given else None
    c0 = rounded(torch.randn(layers * D, B, H)).requires_grad_() if given and cell == "lstm" else None

    inp = pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False) if ragged else x
    if given:
        state = (h0, c0) if cell == "lstm" else h0
        out, fin = m(inp, state)
    else:
        out, fin = m(inp)
    if ragged:
        out, _ = pad_packed_sequence(out, total_length=T)
    h_n, c_n = fin if cell == "lstm" else (fin, None)

    r_out = rounded(torch.randn_like(out))
    r_h = rounded(torch.randn_like(h_n))
    loss = (out * r_out).sum() + (h_n * r_h).sum()
    r_c = None
    if c_n is not None:
        r_c = rounded(torch.randn_like(c_n))
        loss = loss + (c_n * r_c).sum()
    loss.backward()

    t = {"x": x, "lengths": torch.tensor(lengths, dtype=torch.float64), "out": out, "h_n": h_n,
         "r_out": r_out, "r_h": r_h, "grad.x": x.grad}
    if c_n is not None:
        t.update({"c_n": c_n, "r_c": r_c})
    if given:
        t.update({"h0": h0, "grad.h0": h0.grad})
        if c0 is not None:
            t.update({"c0": c0, "grad.c0": c0.grad})
    for name, p in m.named_parameters():
        t[name] = p
        t["grad." + name] = p.grad
    return {k: v.detach().float().contiguous() for k, v in t.items()}


def layers_fixture():
    torch.manual_seed(7)
    lin = torch.nn.Linear(5, 4).double()
    emb = torch.nn.Embedding(6, 3).double()
    with torch.no_grad():
        for p in list(lin.parameters()) + list(emb.parameters()):
            p.copy_(rounded(p))
    x = rounded(torch.randn(2, 3, 5)).requires_grad_()
    y = lin(x)
    r = rounded(torch.randn_like(y))
    (y * r).sum().backward()
    ids = torch.tensor([[1, 5, 1], [0, 2, 1]])
    e = emb(ids)
    re = rounded(torch.randn_like(e))
    (e * re).sum().backward()
    t = {"linear.x": x, "linear.weight": lin.weight, "linear.bias": lin.bias, "linear.y": y, "linear.r": r,
         "linear.grad.x": x.grad, "linear.grad.weight": lin.weight.grad, "linear.grad.bias": lin.bias.grad,
         "embedding.ids": ids.double(), "embedding.weight": emb.weight, "embedding.y": e, "embedding.r": re,
         "embedding.grad.weight": emb.weight.grad}
    return {k: v.detach().float().contiguous() for k, v in t.items()}


OPTIMIZERS = {
    "sgd": (torch.optim.SGD, dict(lr=0.1)),
    "sgd_momentum_wd": (torch.optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
    "sgd_nesterov": (torch.optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
    "adam": (torch.optim.Adam, dict(lr=0.01)),
    "adam_wd": (torch.optim.Adam, dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    "adamw": (torch.optim.AdamW, dict(lr=0.01, weight_decay=0.1)),
    "rmsprop_charrnn": (torch.optim.RMSprop, dict(lr=0.002, alpha=0.95)),
    "rmsprop_centered_momentum_wd": (torch.optim.RMSprop, dict(lr=0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.01)),
    "adagrad": (torch.optim.Adagrad, dict(lr=0.1)),
    "adagrad_decay_wd": (torch.optim.Adagrad, dict(lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1)),
}
STEPS = 5


def optimizers_fixture():
    torch.manual_seed(11)
    p0 = [rounded(torch.randn(3, 4)), rounded(torch.randn(5))]
    grads = [[rounded(torch.randn_like(p)) for p in p0] for _ in range(STEPS)]
    t = {"p0.a": p0[0], "p0.b": p0[1]}
    for k, g in enumerate(grads):
        t[f"grad{k}.a"], t[f"grad{k}.b"] = g
    for name, (cls, kw) in OPTIMIZERS.items():
        params = [p.clone().requires_grad_() for p in p0]
        opt = cls(params, **kw)
        for k in range(STEPS):
            for p, g in zip(params, grads[k]):
                p.grad = g.clone()
            opt.step()
            t[f"{name}.step{k}.a"], t[f"{name}.step{k}.b"] = params[0].clone(), params[1].clone()
    return {k: v.detach().float().contiguous() for k, v in t.items()}


def losses_fixture():
    torch.manual_seed(13)
    logits = rounded(torch.randn(6, 5) * 3)
    targets = torch.tensor([0, 4, -100, 2, 2, 1])
    t = {"logits": logits, "targets": targets.double()}
    for reduction in ["mean", "sum"]:
        for smoothing in [0.0, 0.1]:
            x = logits.clone().requires_grad_()
            loss = torch.nn.functional.cross_entropy(x, targets, ignore_index=-100, reduction=reduction, label_smoothing=smoothing)
            loss.backward()
            key = f"{reduction}_ls{smoothing}"
            t[f"{key}.loss"] = loss.reshape(1)
            t[f"{key}.grad"] = x.grad
    return {k: v.detach().float().contiguous() for k, v in t.items()}


ATTENTION_LENGTHS = [5, 2, 4]


def attention_fixture():
    """Masked attention (as Recurrent's Attention layer) in float64, for each score."""
    N, Bq, S, K, A = 3, 3, 5, 6, 5
    t = {"lengths": torch.tensor(ATTENTION_LENGTHS, dtype=torch.float64)}
    mask = torch.arange(S)[None, :] >= torch.tensor(ATTENTION_LENGTHS)[:, None]  # [B, S]
    for k, score in enumerate(["dot", "general", "additive"]):
        torch.manual_seed(17 + k)
        Q = K if score == "dot" else 4
        mods = {}
        if score == "general":
            mods["key"] = torch.nn.Linear(K, Q, bias=False)
        if score == "additive":
            mods["query"] = torch.nn.Linear(Q, A, bias=False)
            mods["key"] = torch.nn.Linear(K, A)
            mods["v"] = torch.nn.Linear(A, 1, bias=False)
        for m in mods.values():
            m.double()
            with torch.no_grad():
                for p in m.parameters():
                    p.copy_(rounded(p))
        q = rounded(torch.randn(N, Bq, Q)).requires_grad_()
        h = rounded(torch.randn(S, Bq, K)).requires_grad_()
        keys = mods["key"](h) if "key" in mods else h
        if score == "additive":
            z = torch.tanh(mods["query"](q)[:, :, None, :] + keys.permute(1, 0, 2)[None])  # [N, B, S, A]
            e = mods["v"](z).squeeze(-1)
        else:
            e = torch.einsum("nbq,sbq->nbs", q, keys)
        a = torch.softmax(e.masked_fill(mask[None], float("-inf")), dim=-1)
        c = torch.einsum("nbs,sbk->nbk", a, h)
        r_c, r_a = rounded(torch.randn_like(c)), rounded(torch.randn_like(a))
        ((c * r_c).sum() + (a * r_a).sum()).backward()
        t.update({f"{score}/q": q, f"{score}/memory": h, f"{score}/context": c, f"{score}/weights": a,
                  f"{score}/r_c": r_c, f"{score}/r_a": r_a, f"{score}/grad.q": q.grad, f"{score}/grad.memory": h.grad})
        for name, m in mods.items():
            for pname, p in m.named_parameters():
                t[f"{score}/{name}.{pname}"] = p
                t[f"{score}/grad.{name}.{pname}"] = p.grad
    return {k: v.detach().float().contiguous() for k, v in t.items()}


def main(names):
    os.makedirs(OUT, exist_ok=True)
    if "attention" in names:
        path = os.path.join(OUT, "attention.safetensors")
        save_file(attention_fixture(), path, metadata={"generator": "Scripts/make_torch_fixtures.py", "torch": torch.__version__})
        print(path)
    if "recurrent" in names:
        recurrent_fixtures()
    if "layers" in names:
        path = os.path.join(OUT, "layers.safetensors")
        save_file(layers_fixture(), path, metadata={"generator": "Scripts/make_torch_fixtures.py", "torch": torch.__version__})
        print(path)
    for name, make in [("optimizers", optimizers_fixture), ("losses", losses_fixture)]:
        if name in names:
            path = os.path.join(OUT, f"{name}.safetensors")
            save_file(make(), path, metadata={"generator": "Scripts/make_torch_fixtures.py", "torch": torch.__version__})
            print(path)


def recurrent_fixtures():
    seed = 0
    for cell in ["rnn_tanh", "rnn_relu", "lstm", "gru"]:
        tensors = {}
        for layers in [1, 2]:
            for bi in [False, True]:
                for ragged in [False, True]:
                    for given in [False, True]:
                        seed += 1
                        name = f"L{layers}_{'bi' if bi else 'uni'}_{'ragged' if ragged else 'equal'}_{'given' if given else 'zero'}"
                        for k, v in combo(cell, layers, bi, ragged, given, seed).items():
                            tensors[f"{name}/{k}"] = v
        path = os.path.join(OUT, f"recurrent_{cell}.safetensors")
        save_file(tensors, path, metadata={"generator": "Scripts/make_torch_fixtures.py", "torch": torch.__version__})
        print(path, len(tensors), "tensors")


if __name__ == "__main__":
    main(sys.argv[1:] or ["recurrent", "layers", "optimizers", "losses", "attention"])
