#!/usr/bin/env python3
"""Fixtures for the word-level language model's output layers and regularisers
(Tests/RecurrentTests/WordLanguageModelTests.swift), from PyTorch.

For each model: a Recurrent checkpoint (`<name>.safetensors`: the torch
state_dict, a tied table stored once as embedding.weight, with the config and
vocabulary in __metadata__) and `<name>_outputs.safetensors`: the ids and
targets ([T=5, B=3]), torch's logits (log-probabilities for the adaptive
softmax), the mean loss, and the gradient of that loss for every parameter
(`grad.<name>`), in evaluation mode (no dropout).

Also `adaptive_softmax.safetensors`: nn.AdaptiveLogSoftmaxWithLoss alone
(H=8, V=23, cutoffs [5, 12], div_value 2) on x [N=10, H] and targets that
reach every cluster: its weights, log_prob, loss and the gradients of x and
of each weight.

Run by hand: python3 Scripts/make_wordlm_fixtures.py Tests/RecurrentTests/Fixtures
"""
import os
import sys

import torch
from torch import nn
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(__file__))
from torch_models import LanguageModel, metadata  # noqa: E402

V = 23
VOCABULARY = ["<unk>", "<eos>"] + [f"w{i}" for i in range(V - 2)]
T, B = 5, 3


def language_model(out_dir, name, config, seed):
    torch.manual_seed(seed)
    model = LanguageModel(config)
    model.eval()
    ids = (torch.arange(T * B) * 7 % V).reshape(T, B)
    targets = (torch.arange(T * B) * 5 + 3).remainder(V).reshape(T, B)
    loss, _ = model.loss(ids, targets)
    loss.backward()
    with torch.no_grad():
        logits, _ = model(ids)
    state = model.tied_state_dict()
    save_file(state, os.path.join(out_dir, f"{name}.safetensors"), metadata=metadata(config, VOCABULARY))
    named = dict(model.named_parameters())  # a tied table appears once, as embedding.weight
    outputs = {"ids": ids.float(), "targets": targets.float(), "loss": loss.detach().reshape(1),
               "logits": logits.reshape(T * B, V).contiguous()}
    outputs.update({f"grad.{k}": p.grad.contiguous() for k, p in named.items()})
    save_file(outputs, os.path.join(out_dir, f"{name}_outputs.safetensors"), metadata={"generator": "Scripts/make_wordlm_fixtures.py"})
    print(name, "loss", loss.item(), "tensors", sorted(state))


def adaptive_alone(out_dir):
    torch.manual_seed(7)
    H, N = 8, 10
    layer = nn.AdaptiveLogSoftmaxWithLoss(H, V, [5, 12], div_value=2.0)
    x = torch.randn(N, H, requires_grad=True)
    targets = torch.tensor([0, 4, 5, 11, 12, 22, 3, 7, 15, 1])
    r = layer(x, targets)
    r.loss.backward()
    tensors = {"x": x.detach(), "targets": targets.float(), "loss": r.loss.detach().reshape(1),
               "log_prob": layer.log_prob(x).detach(), "grad.x": x.grad}
    for k, p in layer.named_parameters():
        tensors[f"param.{k}"] = p.detach().contiguous()
        tensors[f"grad.{k}"] = p.grad.contiguous()
    save_file(tensors, os.path.join(out_dir, "adaptive_softmax.safetensors"), metadata={"generator": "Scripts/make_wordlm_fixtures.py"})
    print("adaptive_softmax loss", r.loss.item(), "parameters", [k for k, _ in layer.named_parameters()])


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "Tests/RecurrentTests/Fixtures"
    base = {"cell": "lstm", "level": "word", "vocabularySize": V, "layers": 2, "dropout": 0.0}
    language_model(out_dir, "wordlm_tied_projection", dict(base, embeddingSize=6, hiddenSize=8, tied=True), seed=1)
    language_model(out_dir, "wordlm_tied", dict(base, cell="gru", embeddingSize=8, hiddenSize=8, tied=True), seed=2)
    language_model(out_dir, "wordlm_adaptive", dict(base, embeddingSize=6, hiddenSize=8, adaptiveCutoffs=[5, 12], adaptiveDivValue=2.0), seed=3)
    adaptive_alone(out_dir)


if __name__ == "__main__":
    main()
