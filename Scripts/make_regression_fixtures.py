#!/usr/bin/env python3
"""PyTorch reference for the regression losses (RegressionLoss in
Sources/Recurrent/Training): F.mse_loss and F.l1_loss, mean and sum, values
and gradients, written to Tests/RecurrentTests/Fixtures/regression_losses.safetensors.
Two predictions equal their targets, so the L1 gradient at 0 (PyTorch: 0) is checked.

Run by hand (needs torch and safetensors):  python3 Scripts/make_regression_fixtures.py
"""
import os
import torch
from safetensors.torch import save_file

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "RecurrentTests", "Fixtures")


def main():
    torch.manual_seed(17)
    predictions = (torch.randn(5, 3) * 2).float().double()
    targets = torch.randn(5, 3).float().double()
    targets[1, 2] = predictions[1, 2]
    targets[4, 0] = predictions[4, 0]
    t = {"predictions": predictions, "targets": targets}
    for name, fn in [("mse", torch.nn.functional.mse_loss), ("mae", torch.nn.functional.l1_loss)]:
        for reduction in ["mean", "sum"]:
            x = predictions.clone().requires_grad_()
            loss = fn(x, targets, reduction=reduction)
            loss.backward()
            t[f"{name}_{reduction}.loss"] = loss.reshape(1)
            t[f"{name}_{reduction}.grad"] = x.grad
    os.makedirs(OUT, exist_ok=True)
    save_file({k: v.detach().float().contiguous() for k, v in t.items()}, os.path.join(OUT, "regression_losses.safetensors"))


if __name__ == "__main__":
    main()
