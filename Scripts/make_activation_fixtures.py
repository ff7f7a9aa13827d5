#!/usr/bin/env python3
"""Write the PyTorch fixture that checks the per-step gates and cells that
RecurrentLayer.activations(_:) exposes (Tests/RecurrentTests/InsideTests.swift).

A 2-layer torch.nn.LSTM (I=4, H=3) runs in float64 over x [T=6, B=2, I] from a
given (h0, c0). The gates are then recomputed step by step in torch from the
same state_dict, with PyTorch's gate order i, f, g, o:

  i = sigmoid(W_ii x + b_ii + W_hi h + b_hi)   f, o alike;  g = tanh(...)
  c' = f * c + i * g,  h' = o * tanh(c')

and the script checks that this loop reproduces nn.LSTM's output and final
state before saving, under "l{k}/": gates [T, B, 4H] (activations i, f, g, o),
cells [T, B, H] (c after each step), outputs [T, B, H]; plus x, h0, c0 and
every parameter under its state_dict name.

Run by hand (needs torch and safetensors):  python3 Scripts/make_activation_fixtures.py
"""
import os
import torch
from safetensors.torch import save_file

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "RecurrentTests", "Fixtures", "lstm_activations.safetensors")
T, B, I, H, L = 6, 2, 4, 3, 2


def rounded(t):
    """float32-representable values, as float64."""
    return t.float().double()


def main():
    torch.manual_seed(16)
    m = torch.nn.LSTM(input_size=I, hidden_size=H, num_layers=L).double()
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(rounded(p * 2))          # wider weights, so some gates approach saturation
    x = rounded(torch.randn(T, B, I))
    h0 = rounded(torch.randn(L, B, H) * 0.5)
    c0 = rounded(torch.randn(L, B, H) * 0.5)
    with torch.no_grad():
        out, (h_n, c_n) = m(x, (h0, c0))
    sd = m.state_dict()
    tensors = {"x": x, "h0": h0, "c0": c0}
    tensors.update({k: v.clone() for k, v in sd.items()})
    layer_in = x
    for k in range(L):
        w_ih, w_hh = sd[f"weight_ih_l{k}"], sd[f"weight_hh_l{k}"]
        b = sd[f"bias_ih_l{k}"] + sd[f"bias_hh_l{k}"]
        h, c = h0[k], c0[k]
        gates, cells, outputs = [], [], []
        for t in range(T):
            a = layer_in[t] @ w_ih.T + h @ w_hh.T + b
            i, f, g, o = a.split(H, dim=1)
            i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
            c = f * c + i * g
            h = o * torch.tanh(c)
            gates.append(torch.cat([i, f, g, o], dim=1))
            cells.append(c)
            outputs.append(h)
        outputs = torch.stack(outputs)
        assert torch.allclose(h, h_n[k], atol=1e-12) and torch.allclose(c, c_n[k], atol=1e-12)
        tensors[f"l{k}/gates"] = torch.stack(gates)
        tensors[f"l{k}/cells"] = torch.stack(cells)
        tensors[f"l{k}/outputs"] = outputs
        layer_in = outputs
    assert torch.allclose(layer_in, out, atol=1e-12)
    save_file({k: v.float().contiguous() for k, v in tensors.items()}, OUT)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
