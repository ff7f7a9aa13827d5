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

It also writes recurrent_dropout.safetensors: recurrent dropout (Keras'
recurrent_dropout: h_{t-1} masked where it enters W_hh h_{t-1}, one mask per
sequence and pass, the state carried and the outputs unmasked) for every cell,
computed by a plain autograd loop over the steps (reference_pass below; PyTorch
has no recurrent dropout), under "<cell>/<combo>/" with the same keys as the
recurrent fixtures plus the masks mask_l{k}[_reverse] [B,H]. With all-ones masks
the loop is checked against torch.nn.RNN/LSTM/GRU before anything is written.
And layer_norm_lstm.safetensors: the layer-normalised LSTM (Ba et al. 2016, which
PyTorch does not have) by the same loop with F.layer_norm, its gains and biases
under weight_ln_{ih,hh,c}_l{k} / bias_ln_..., with and without recurrent dropout.

Run by hand (needs torch and safetensors):  python3 Scripts/make_torch_fixtures.py [NAME ...]
(NAMEs: recurrent, recurrent_dropout, layer_norm_lstm, layers, optimizers, losses, attention; all when none is given).
"""
import os
import sys
import torch
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from safetensors.torch import save_file

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "RecurrentTests", "Fixtures")
T, B, I, H = 5, 3, 4, 3
RAGGED = [5, 2, 4]


def rounded(t):
    """float32-representable values, as float64."""
    return t.float().double()


def module(cell, layers, bidirectional, hidden=H):
    kw = dict(input_size=I, hidden_size=hidden, num_layers=layers, bidirectional=bidirectional)
    if cell == "lstm":
        return torch.nn.LSTM(**kw)
    if cell == "gru":
        return torch.nn.GRU(**kw)
    return torch.nn.RNN(nonlinearity="tanh" if cell == "rnn_tanh" else "relu", **kw)


def seeded_module(cell, layers, bidirectional, seed, hidden=H):
    """torch.manual_seed(seed), then the module in float64 with float32-representable parameters."""
    torch.manual_seed(seed)
    m = module(cell, layers, bidirectional, hidden).double()
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(rounded(p))
    return m


def combo(cell, layers, bidirectional, ragged, given, seed):
    m = seeded_module(cell, layers, bidirectional, seed)
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


def cell_step(cell, x_t, h, c, w_ih, w_hh, b_ih, b_hh, m, ln=None):
    """One step from h (and c); the product W_hh h reads m * h, every other use of h the state itself.
    With ln (the layer-normalised LSTM's gains and biases), Ba et al. 2016's LN-LSTM:
    gates = LN(W_ih x; ih) + LN(W_hh (m*h); hh) + b_ih + b_hh (each LN over the 4H vector),
    h' = o * tanh(LN(c'; c))."""
    if ln is not None:
        G = w_ih.shape[0]
        gi = F.layer_norm(x_t @ w_ih.T, (G,), ln["weight_ln_ih"], ln["bias_ln_ih"], 1e-5) + b_ih
        gh = F.layer_norm((h * m) @ w_hh.T, (G,), ln["weight_ln_hh"], ln["bias_ln_hh"], 1e-5) + b_hh
    else:
        gi = x_t @ w_ih.T + b_ih
        gh = (h * m) @ w_hh.T + b_hh
    if cell == "lstm":
        i, f, g, o = (gi + gh).chunk(4, 1)
        c2 = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        out = c2 if ln is None else F.layer_norm(c2, (c2.shape[1],), ln["weight_ln_c"], ln["bias_ln_c"], 1e-5)
        return torch.sigmoid(o) * torch.tanh(out), c2
    if cell == "gru":
        ir, iz, i_n = gi.chunk(3, 1)
        hr, hz, h_n = gh.chunk(3, 1)
        r, z = torch.sigmoid(ir + hr), torch.sigmoid(iz + hz)
        n = torch.tanh(i_n + r * h_n)
        return (1 - z) * n + z * h, None
    a = gi + gh
    return (torch.tanh(a) if cell == "rnn_tanh" else torch.relu(a)), None


def reference_pass(cell, x, lengths, h, c, weights, m, reverse, ln=None):
    """One direction of one layer, step by step: padded steps (t >= length) keep
    the state and output zeros, so the reverse pass starts at each sequence's end."""
    steps = x.shape[0]
    ys = [None] * steps
    for t in (reversed(range(steps)) if reverse else range(steps)):
        a = torch.tensor([1.0 if t < n else 0.0 for n in lengths], dtype=torch.float64).unsqueeze(1)
        h2, c2 = cell_step(cell, x[t], h, c, *weights, m, ln)
        ys[t] = a * h2
        h = a * h2 + (1 - a) * h
        if c is not None:
            c = a * c2 + (1 - a) * c
    return torch.stack(ys), h, c


def reference_stack(cell, m, x, lengths, h0, c0, masks, ln=None):
    """The stacked, optionally bidirectional network of module m, run by reference_pass
    (layer-normalised with the tensors of ln, named as the Swift checkpoint names them)."""
    D = 2 if m.bidirectional else 1
    inp, hs, cs = x, [], []
    for l in range(m.num_layers):
        outs = []
        for d in range(D):
            sfx = f"_l{l}" + ("_reverse" if d else "")
            weights = [getattr(m, n + sfx) for n in ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]]
            norms = None if ln is None else {k: ln[k + sfx] for k in LN_NAMES}
            y, h, c = reference_pass(cell, inp, lengths, h0[l * D + d], None if c0 is None else c0[l * D + d],
                                     weights, masks["mask" + sfx], d == 1, norms)
            outs.append(y)
            hs.append(h)
            cs.append(c)
        inp = torch.cat(outs, 2)
    return inp, torch.stack(hs), (torch.stack(cs) if c0 is not None else None)


RECURRENT_DROPOUT = 0.4
LN_NAMES = ["weight_ln_ih", "bias_ln_ih", "weight_ln_hh", "bias_ln_hh", "weight_ln_c", "bias_ln_c"]


def recurrent_dropout_combo(cell, layers, bidirectional, ragged, given, seed, dropout=True, layer_norm=False, H=H):
    """One fixture entry: recurrent dropout masks (all ones when not dropout), layer-normalised when layer_norm
    (gains 1 + 0.3 N(0,1) and biases 0.3 N(0,1), so a gain or bias used in the wrong place shows)."""
    m = seeded_module(cell, layers, bidirectional, seed, H)
    D = 2 if bidirectional else 1
    lengths = RAGGED if ragged else [T] * B
    x = rounded(torch.randn(T, B, I)).requires_grad_()
    lstm = cell == "lstm"
    h0 = (rounded(torch.randn(layers * D, B, H)) if given else torch.zeros(layers * D, B, H, dtype=torch.float64)).requires_grad_()
    c0 = ((rounded(torch.randn(layers * D, B, H)) if given else torch.zeros(layers * D, B, H, dtype=torch.float64)).requires_grad_()
          if lstm else None)
    keep = 1 - RECURRENT_DROPOUT
    masks = {f"mask_l{l}" + ("_reverse" if d else ""): rounded((torch.rand(B, H) < keep).double() / keep if dropout else torch.ones(B, H))
             for l in range(layers) for d in range(D)}
    ln = None
    if layer_norm:
        ln = {}
        for l in range(layers):
            for d in range(D):
                sfx = f"_l{l}" + ("_reverse" if d else "")
                for k in LN_NAMES:
                    n = H if k.endswith("_c") else 4 * H
                    v = (1 if k.startswith("weight") else 0) + 0.3 * torch.randn(n)
                    ln[k + sfx] = rounded(v).requires_grad_()

    # The loop with all-ones masks is torch.nn's module (packed for ragged lengths).
    with torch.no_grad():
        ones = {k: torch.ones_like(v) for k, v in masks.items()}
        ref = reference_stack(cell, m, x, lengths, h0, c0, ones)
        inp = pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False) if ragged else x
        out, fin = m(inp, (h0, c0) if lstm else h0)
        if ragged:
            out, _ = pad_packed_sequence(out, total_length=T)
        h_n = fin[0] if lstm else fin
        assert torch.allclose(ref[0], out, atol=1e-12) and torch.allclose(ref[1], h_n, atol=1e-12), (cell, "reference != torch.nn")

    out, h_n, c_n = reference_stack(cell, m, x, lengths, h0, c0, masks, ln)
    r_out, r_h = rounded(torch.randn_like(out)), rounded(torch.randn_like(h_n))
    loss = (out * r_out).sum() + (h_n * r_h).sum()
    t = {"x": x, "lengths": torch.tensor(lengths, dtype=torch.float64), "out": out, "h_n": h_n,
         "r_out": r_out, "r_h": r_h}
    if lstm:
        r_c = rounded(torch.randn_like(c_n))
        loss = loss + (c_n * r_c).sum()
        t.update({"c_n": c_n, "r_c": r_c})
    loss.backward()
    t["grad.x"] = x.grad
    if given:
        t.update({"h0": h0, "grad.h0": h0.grad})
        if lstm:
            t.update({"c0": c0, "grad.c0": c0.grad})
    if dropout:
        t.update(masks)
    for name, p in list(m.named_parameters()) + list((ln or {}).items()):
        t[name] = p
        t["grad." + name] = p.grad
    return {k: v.detach().float().contiguous() for k, v in t.items()}


RECURRENT_DROPOUT_COMBOS = [(1, False, False, False), (2, True, True, True), (1, True, False, True), (2, False, True, False)]


def recurrent_dropout_fixture():
    tensors, seed = {}, 100
    for cell in ["rnn_tanh", "rnn_relu", "lstm", "gru"]:
        for layers, bi, ragged, given in RECURRENT_DROPOUT_COMBOS:
            seed += 1
            name = f"{cell}/L{layers}_{'bi' if bi else 'uni'}_{'ragged' if ragged else 'equal'}_{'given' if given else 'zero'}"
            for k, v in recurrent_dropout_combo(cell, layers, bi, ragged, given, seed).items():
                tensors[f"{name}/{k}"] = v
    return tensors


LAYER_NORM_COMBOS = [(1, False, False, False, False), (2, True, True, True, False), (2, False, True, True, True), (1, True, False, False, True)]


def layer_norm_fixture():
    """The layer-normalised LSTM (no PyTorch module has it: the reference loop only), with and without recurrent dropout."""
    tensors, seed = {}, 200
    for layers, bi, ragged, given, dropout in LAYER_NORM_COMBOS:
        seed += 1
        name = (f"L{layers}_{'bi' if bi else 'uni'}_{'ragged' if ragged else 'equal'}_{'given' if given else 'zero'}"
                + ("_dropout" if dropout else ""))
        # H = 8: a normalisation over 3 memory cells is so ill-conditioned that float32 rounding alone moves gradients by 2e-5
        for k, v in recurrent_dropout_combo("lstm", layers, bi, ragged, given, seed, dropout, layer_norm=True, H=8).items():
            tensors[f"{name}/{k}"] = v
    return tensors


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
    if "layer_norm_lstm" in names:
        path = os.path.join(OUT, "layer_norm_lstm.safetensors")
        save_file(layer_norm_fixture(), path, metadata={"generator": "Scripts/make_torch_fixtures.py", "torch": torch.__version__})
        print(path)
    if "recurrent_dropout" in names:
        path = os.path.join(OUT, "recurrent_dropout.safetensors")
        save_file(recurrent_dropout_fixture(), path, metadata={"generator": "Scripts/make_torch_fixtures.py", "torch": torch.__version__})
        print(path)
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
    main(sys.argv[1:] or ["recurrent", "recurrent_dropout", "layer_norm_lstm", "layers", "optimizers", "losses", "attention"])
