"""DeepFace, from "DeepFace: Closing the Gap to Human-Level Performance in Face Verification"
(Taigman, Yang, Ranzato and Wolf, 2014).

Paper: https://openaccess.thecvf.com/content_cvpr_2014/html/Taigman_DeepFace_Closing_the_2014_CVPR_paper.html
(CVPR 2014, no arXiv version) — catalogue entry ``deepface``.

A face, detected and frontalised by 3D alignment (Section 2), is a 152x152 RGB crop in which every
part of the face sits at a known place. The network (Section 3, Figure 2) exploits that: after a
small convolutional front end, three *locally connected* layers apply a filter bank like a
convolution, but every output location has its own filters (no weight sharing), because the
region between the eyes and the region around the mouth have different local statistics.
"NxKxKxC@S" is N filters of KxK over C channels, on an SxS map; ReLU follows every layer but F8.

    input   3D-aligned RGB crop                                 -> (B, 3, 152, 152)
    C1      convolution 32x11x11x3                              -> (B, 32, 142, 142)
    M2      max pool 3x3, stride 2                              -> (B, 32, 71, 71)
    C3      convolution 16x9x9                                  -> (B, 16, 63, 63)
    L4      locally connected 16x9x9x16                         -> (B, 16, 55, 55)
    L5      locally connected 16x7x7x16, stride 2               -> (B, 16, 25, 25)
    L6      locally connected 16x5x5x16                         -> (B, 16, 21, 21)
    F7      fully connected 7056 -> 4096, dropout (the face representation)  -> (B, 4096)
    F8      fully connected 4096 -> 4030, softmax over the identities        -> (B, 4030)

A locally connected layer with a KxK window, stride s, C_in inputs and C_out outputs on an
H_out x W_out output map holds H_out * W_out separate (C_in K K -> C_out) filter banks:

    y[b, o, i, j] = bias[o, i, j] + sum_{c, u, v} W[i, j][o, c, u, v] * x[b, c, s i + u, s j + v]

which is an unfold into (B, C_in K K, H_out W_out) patches and one matrix product per location.
L4 alone holds 55 * 55 * (9 * 9 * 16 * 16 + 16) = 62.8M parameters; the locally connected and
fully connected layers hold more than 99% of the 118.9M of the network (the paper: "more than 120
million parameters, where more than 95% come from the local and fully connected layers").

Training (Sections 3 and 5.2): the network is a classifier over the K = 4030 identities of the
Social Face Classification set, trained with the cross-entropy loss -log p_k of the softmax,
by SGD with momentum 0.9, mini-batches of 128, learning rate 0.01 for every layer, divided by 10
by hand whenever the validation error stopped decreasing, down to 0.0001; weights start from a
zero-mean Gaussian with sigma 0.01 and biases at 0.5; about 15 epochs. Dropout is applied only to
F7. The face descriptor is F7's output, divided component-wise by its maximum over the training
set and L2-normalised (Section 3, "Normalization"); verification compares two descriptors by an
inner product, a weighted chi-squared distance or a Siamese network (Section 4).

Deviations from the paper are listed once, in the entry ``deepface`` (catalog/faces/deepface.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.smoke import SmokeCase, classifier_case
from implementations.registry import register_model


@dataclass(frozen=True)
class DeepFaceConfig:
    image_size: int = 152  # Section 3: 3D-aligned 152x152 RGB crop
    in_channels: int = 3  # RGB
    c1: tuple[int, int] = (32, 11)  # C1: 32 filters 11x11x3 (Section 3, Figure 2)
    m2: tuple[int, int] = (3, 2)  # M2: max over 3x3 neighbourhoods, stride 2
    c3: tuple[int, int] = (16, 9)  # C3: 16 filters 9x9
    l4: tuple[int, int, int] = (16, 9, 1)  # L4: locally connected 16x9x9x16 (Figure 2)
    l5: tuple[int, int, int] = (16, 7, 2)  # L5: locally connected 16x7x7x16, stride 2 (Figure 2: 25x25 output)
    l6: tuple[int, int, int] = (16, 5, 1)  # L6: locally connected 16x5x5x16
    f7: int = 4096  # F7: 4096-d face representation
    num_classes: int = 4030  # F8: K-way softmax over the 4030 SFC identities (Section 5.1)
    dropout: float = 0.5  # dropout on F7 only; the rate is not given (Hinton et al.'s 0.5)
    init_std: float = 0.01  # Section 5.2: zero-mean Gaussian, sigma 0.01
    init_bias: float = 0.5  # Section 5.2: biases set to 0.5
    lr: float = 0.01  # Section 5.2: equal learning rate 0.01 for all layers
    momentum: float = 0.9  # Section 5.2: SGD with momentum 0.9


class LocallyConnected2d(nn.Module):
    """A convolution-like filter bank whose filters differ at every output location (untied weights)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, in_size: int, stride: int = 1):
        super().__init__()
        self.kernel, self.stride = kernel, stride
        self.out_size = (in_size - kernel) // stride + 1  # no padding ("valid"), as in Figure 2
        locations = self.out_size * self.out_size
        self.weight = nn.Parameter(torch.empty(locations, c_in * kernel * kernel, c_out))  # one bank per location
        self.bias = nn.Parameter(torch.empty(c_out, self.out_size, self.out_size))  # one bias per location
        nn.init.normal_(self.weight, std=(c_in * kernel * kernel) ** -0.5)  # a generic default; DeepFace re-initialises
        nn.init.zeros_(self.bias)

    def forward(self, x: Tensor) -> Tensor:  # (B, C_in, H, W) -> (B, C_out, H_out, W_out)
        patches = F.unfold(x, self.kernel, stride=self.stride)  # (B, C_in K K, L)
        out = torch.einsum("bkl,lko->bol", patches, self.weight)  # (B, C_out, L): a matrix product per location
        return out.unflatten(2, (self.out_size, self.out_size)) + self.bias


class DeepFace(nn.Module):
    def __init__(self, cfg: DeepFaceConfig):
        super().__init__()
        (n1, k1), (kp, sp), (n3, k3) = cfg.c1, cfg.m2, cfg.c3
        side = cfg.image_size - k1 + 1  # C1 (142)
        side = -(-(side - kp) // sp) + 1  # M2, ceil mode (71)
        side = side - k3 + 1  # C3 (63)
        self.front = nn.Sequential(
            nn.Conv2d(cfg.in_channels, n1, k1),
            nn.ReLU(),  # C1 (B, 32, 142, 142)
            nn.MaxPool2d(kp, sp, ceil_mode=True),  # M2 (B, 32, 71, 71)
            nn.Conv2d(n1, n3, k3),
            nn.ReLU(),  # C3 (B, 16, 63, 63)
        )
        local: list[nn.Module] = []
        c = n3
        for n, k, s in (cfg.l4, cfg.l5, cfg.l6):
            layer = LocallyConnected2d(c, n, k, side, s)
            local += [layer, nn.ReLU()]  # L4 (B, 16, 55, 55), L5 (B, 16, 25, 25), L6 (B, 16, 21, 21)
            c, side = n, layer.out_size
        self.local = nn.Sequential(*local)
        self.f7 = nn.Sequential(nn.Flatten(), nn.Linear(c * side * side, cfg.f7), nn.ReLU(), nn.Dropout(cfg.dropout))
        self.f8 = nn.Linear(cfg.f7, cfg.num_classes)  # logits; the softmax sits in the loss
        for m in self.modules():  # Section 5.2: N(0, 0.01^2) weights, biases 0.5
            if isinstance(m, (nn.Conv2d, nn.Linear, LocallyConnected2d)):
                nn.init.normal_(m.weight, std=cfg.init_std)
                nn.init.constant_(m.bias, cfg.init_bias)

    def representation(self, x: Tensor) -> Tensor:  # (B, 3, 152, 152) -> (B, 4096), G(I): F7's output
        return self.f7(self.local(self.front(x)))

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, 152, 152) -> (B, 4030) identity logits
        return self.f8(self.representation(x))


def deepface_smoke(rng: torch.Generator) -> SmokeCase:
    # The nine layers of Figure 2 with smaller windows and widths, on 32x32 crops:
    # C1 5x5 -> 28, M2 -> 14, C3 3x3 -> 12, L4 3x3 -> 10, L5 3x3/2 -> 4, L6 3x3 -> 2, F7 32, F8 10.
    cfg = DeepFaceConfig(
        image_size=32,
        c1=(8, 5),
        c3=(8, 3),
        l4=(8, 3, 1),
        l5=(8, 3, 2),
        l6=(8, 3, 1),
        f7=32,
        num_classes=10,
    )
    model = DeepFace(cfg)
    return classifier_case(
        model,
        rng,
        input_shape=(3, cfg.image_size, cfg.image_size),
        num_classes=cfg.num_classes,
        batch_size=8,
        optimizer=lambda params: torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum),
    )


@register_model(entry="deepface", smoke=deepface_smoke, input_shape=(3, 152, 152))
def deepface() -> DeepFace:
    return DeepFace(DeepFaceConfig())
