"""Spectral normalisation (Miyato, Kataoka, Koyama and Yoshida, 2018, https://arxiv.org/abs/1802.05957) as a
``torch.nn.utils.parametrize`` parametrisation: the layer uses W / sigma(W), with sigma(W), the largest
singular value of W viewed as a (C_out, fan_in) matrix, estimated by power iteration.

Each forward pass in training mode refines the singular vectors u (C_out,) and v (fan_in,) by one
power iteration, kept in buffers between steps, so the estimate sharpens as training goes on:

    v <- normalise(W^T u),   u <- normalise(W v),   sigma = u^T W v

``torch.nn.utils.parametrizations.spectral_norm`` computes the same, but runs 15 iterations when it is
attached; on the ``meta`` device, where verify counts a paper configuration's parameters, those cost
about a tenth of a second per layer. Here u and v start as normalised random vectors, as in the paper's
Algorithm 1, and the first training step's iteration refines them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils import parametrize


class SpectralNorm(nn.Module):
    """The parametrisation W -> W / sigma(W); ``u`` and ``v`` are buffers, constants for the gradient."""

    def __init__(self, weight: Tensor, eps: float = 1e-12):
        super().__init__()
        self.eps = eps
        rows, cols = weight.shape[0], weight[0].numel()
        self.register_buffer(
            "u", F.normalize(torch.randn(rows, device=weight.device, dtype=weight.dtype), dim=0, eps=eps)
        )
        self.register_buffer(
            "v", F.normalize(torch.randn(cols, device=weight.device, dtype=weight.dtype), dim=0, eps=eps)
        )

    def forward(self, weight: Tensor) -> Tensor:
        matrix = weight.flatten(1)  # (C_out, fan_in)
        if self.training:
            with torch.no_grad():  # one power iteration per training forward
                self.v.copy_(F.normalize(matrix.t() @ self.u, dim=0, eps=self.eps))
                self.u.copy_(F.normalize(matrix @ self.v, dim=0, eps=self.eps))
        u, v = self.u.clone(), self.v.clone()  # a later forward may refine the buffers before this backward
        sigma = u @ matrix @ v  # the largest singular value's estimate
        return weight / sigma


def spectral_norm(module: nn.Module, name: str = "weight") -> nn.Module:
    """Spectrally normalise ``module.<name>`` in place and return ``module``; the trained tensor becomes
    ``module.parametrizations.<name>.original``."""
    parametrize.register_parametrization(module, name, SpectralNorm(getattr(module, name)))
    return module
