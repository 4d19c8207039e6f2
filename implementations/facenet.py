"""FaceNet, from "FaceNet: A Unified Embedding for Face Recognition and Clustering" (Schroff,
Kalenichenko and Philbin, 2015).

Paper: https://arxiv.org/abs/1503.03832 — catalogue entry ``facenet``.

A deep network f maps a face crop to a point on the unit hypersphere in R^128 and is trained so
that squared Euclidean distances are small for the same person and large for different people.
The training signal is the triplet loss (Section 3.1, Eq. 1), over triplets of an anchor a, a
positive p (same identity) and a negative n (another identity):

    L = sum_i max(0, ||f(a_i) - f(p_i)||^2 - ||f(a_i) - f(n_i)||^2 + alpha),   alpha = 0.2

Most triplets satisfy the margin already and contribute nothing, so triplet selection matters
(Section 3.2). FaceNet mines online, inside each large mini-batch (about 40 faces per identity):
every anchor-positive pair of the batch is used, and each gets a *semi-hard* negative, one farther
from the anchor than the positive but still within the margin (Eq. 4):

    ||f(a) - f(p)||^2 < ||f(a) - f(n)||^2  (< ||f(a) - f(p)||^2 + alpha)

Choosing the hardest negatives instead can collapse the model early in training (f(x) = 0).

NN2 (Table 2), the Inception network of GoogLeNet [16] with L2 pooling in some modules, 224x224:

    conv1 7x7/2, 64                                         -> (B, 64, 112, 112)
    max pool 3x3/2, norm                                    -> (B, 64, 56, 56)
    inception (2): 1x1 64, 3x3 192                          -> (B, 192, 56, 56)
    norm, max pool 3x3/2                                    -> (B, 192, 28, 28)
    inception 3a (max, 32p), 3b (L2, 64p)                   -> (B, 256 / 320, 28, 28)
    inception 3c: stride-2 3x3 and 5x5 branches + max pool  -> (B, 640, 14, 14)
    inception 4a-4d (L2, 128p)                              -> (B, 640, 14, 14)
    inception 4e: stride-2 branches + max pool              -> (B, 1024, 7, 7)
    inception 5a (L2, 128p), 5b (max, 128p)                 -> (B, 1024, 7, 7)
    average pool, fully connected 128, L2 normalisation     -> (B, 128)

Each module concatenates a 1x1 branch, a 1x1 reduce + 3x3 branch, a 1x1 reduce + 5x5 branch and
a 3x3 pooling branch (max or L2, optionally followed by a 1x1 projection "p"). L2 pooling takes
the Euclidean norm of each window instead of its maximum. Table 2 gives 7.5M parameters and 1.6B
FLOPS for NN2. Training (Section 4): SGD with AdaGrad, initial learning rate 0.05, alpha = 0.2.

NN1 (Table 1), the Zeiler & Fergus network [22] with 1x1 convolutions between its 3x3 ones
(Network-in-Network style), 220x220 input:

    conv1 7x7/2, 64; max pool 3x3/2; norm                   -> (B, 64, 55, 55)
    conv2a 1x1, 64; conv2 3x3, 192; norm; max pool 3x3/2    -> (B, 192, 28, 28)
    conv3a 1x1, 192; conv3 3x3, 384; max pool 3x3/2         -> (B, 384, 14, 14)
    conv4a 1x1, 384; conv4 3x3, 256                         -> (B, 256, 14, 14)
    conv5a 1x1, 256; conv5 3x3, 256                         -> (B, 256, 14, 14)
    conv6a 1x1, 256; conv6 3x3, 256; max pool 3x3/2         -> (B, 256, 7, 7)
    fc1: 12544 -> 2 x 4096, maxout over pairs (p = 2)       -> (B, 4096)   ("1x32x128")
    fc2: 4096 -> 2 x 4096, maxout (p = 2)                   -> (B, 4096)
    fc7128: 4096 -> 128, L2 normalisation                   -> (B, 128)

Table 1 gives 140M parameters (103M of them in fc1) and 1.6B FLOPS for NN1.

Deviations from the paper are listed once, in the entry ``facenet`` (catalog/faces/facenet.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.loss_case import loss_case
from implementations.kit.smoke import SmokeCase
from implementations.registry import register_model

Pooling = Literal["max", "l2"]  # the pooling branch: 3x3 max pooling or 3x3 L2 pooling
POOLINGS: tuple[str, ...] = get_args(Pooling)


@dataclass(frozen=True)
class InceptionSpec:
    """One row of Table 2: branch widths (0 = branch absent), pooling kind and projection, stride."""

    c1x1: int
    c3x3_reduce: int
    c3x3: int
    c5x5_reduce: int
    c5x5: int
    pool: Pooling
    pool_proj: int  # 0: the pooled input is passed on unprojected
    stride: int = 1

    def __post_init__(self) -> None:
        if self.pool not in POOLINGS:
            raise ValueError(f"pool must be one of {', '.join(map(repr, POOLINGS))}, got {self.pool!r}")


# Table 2, modules 3a to 5b.
NN2_MODULES: tuple[InceptionSpec, ...] = (
    InceptionSpec(64, 96, 128, 16, 32, "max", 32),  # 3a -> 256
    InceptionSpec(64, 96, 128, 32, 64, "l2", 64),  # 3b -> 320
    InceptionSpec(0, 128, 256, 32, 64, "max", 0, stride=2),  # 3c -> 640, 14x14
    InceptionSpec(256, 96, 192, 32, 64, "l2", 128),  # 4a -> 640
    InceptionSpec(224, 112, 224, 32, 64, "l2", 128),  # 4b
    InceptionSpec(192, 128, 256, 32, 64, "l2", 128),  # 4c
    InceptionSpec(160, 144, 288, 32, 64, "l2", 128),  # 4d
    InceptionSpec(0, 160, 256, 64, 128, "max", 0, stride=2),  # 4e -> 1024, 7x7
    InceptionSpec(384, 192, 384, 48, 128, "l2", 128),  # 5a -> 1024
    InceptionSpec(384, 192, 384, 48, 128, "max", 128),  # 5b -> 1024
)


@dataclass(frozen=True)
class FaceNetConfig:
    modules: tuple[InceptionSpec, ...] = NN2_MODULES
    stem_width: int = 64  # conv1
    stem_reduce: int = 64  # inception (2): 1x1 reduce
    stem_out: int = 192  # inception (2): 3x3
    image_size: int = 224
    embedding_dim: int = 128  # 128 floats; the paper quantises them to 128 bytes per face
    margin: float = 0.2  # alpha of Eq. 1
    lr: float = 0.05  # AdaGrad initial learning rate (Section 4)
    lrn_size: int = 5  # not given in the paper (GoogLeNet's value)


def conv_relu(c_in: int, c_out: int, k: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, k, stride=stride, padding=k // 2), nn.ReLU())


class L2Pool(nn.Module):
    """3x3 L2 pooling: sqrt of the sum of squares in each window (zero padding leaves the sum unchanged)."""

    def __init__(self, stride: int = 1):
        super().__init__()
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:  # (B, C, H, W) -> (B, C, H/stride, W/stride)
        x = F.pad(x, (1, 1, 1, 1))
        return F.lp_pool2d(x, 2, 3, stride=self.stride)


class Inception(nn.Module):
    def __init__(self, c_in: int, s: InceptionSpec):
        super().__init__()
        branches: list[nn.Module] = []
        if s.c1x1:
            branches.append(conv_relu(c_in, s.c1x1, 1))
        if s.c3x3:
            reduce = conv_relu(c_in, s.c3x3_reduce, 1)
            branches.append(nn.Sequential(reduce, conv_relu(s.c3x3_reduce, s.c3x3, 3, s.stride)))
        if s.c5x5:
            reduce = conv_relu(c_in, s.c5x5_reduce, 1)
            branches.append(nn.Sequential(reduce, conv_relu(s.c5x5_reduce, s.c5x5, 5, s.stride)))
        pool = nn.MaxPool2d(3, s.stride, padding=1) if s.pool == "max" else L2Pool(s.stride)
        branches.append(nn.Sequential(pool, conv_relu(c_in, s.pool_proj, 1)) if s.pool_proj else pool)
        self.branches = nn.ModuleList(branches)
        self.out_channels = s.c1x1 + s.c3x3 + s.c5x5 + (s.pool_proj or c_in)

    def forward(self, x: Tensor) -> Tensor:  # (B, C, H, W) -> (B, C', H/stride, W/stride)
        return torch.cat([b(x) for b in self.branches], dim=1)


class FaceNetNN2(nn.Module):
    def __init__(self, cfg: FaceNetConfig):
        super().__init__()
        norm = nn.LocalResponseNorm(cfg.lrn_size, alpha=1e-4, beta=0.75)
        self.stem = nn.Sequential(
            conv_relu(3, cfg.stem_width, 7, stride=2),  # conv1 (B, 64, 112, 112)
            nn.MaxPool2d(3, 2, padding=1),
            norm,  # (B, 64, 56, 56)
            conv_relu(cfg.stem_width, cfg.stem_reduce, 1),
            conv_relu(cfg.stem_reduce, cfg.stem_out, 3),  # inception (2)
            norm,
            nn.MaxPool2d(3, 2, padding=1),  # (B, 192, 28, 28)
        )
        modules: list[nn.Module] = []
        c = cfg.stem_out
        for spec in cfg.modules:
            block = Inception(c, spec)
            modules.append(block)
            c = block.out_channels
        self.inception = nn.Sequential(*modules)
        self.embed = nn.Linear(c, cfg.embedding_dim)

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, H, W) -> (B, 128), unit length
        h = self.inception(self.stem(x)).mean(dim=(2, 3))  # average pool (B, 1024)
        return F.normalize(self.embed(h), dim=1)


@dataclass(frozen=True)
class FaceNetNN1Config:
    """Table 1: (kernel, width) of each 1x1 "a" layer and its 3x3 partner, and the maxout head."""

    conv1: int = 64  # 7x7/2
    pairs: tuple[int, ...] = (192, 384, 256, 256, 256)  # conv2..conv6 widths; each conv_a keeps its input width
    pool_after: tuple[int, ...] = (0, 1, 4)  # max pool 3x3/2 after conv2, conv3 and conv6 (pool1 follows conv1)
    norm_after: tuple[int, ...] = (0,)  # rnorm2 after conv2 (rnorm1 follows pool1)
    fc_width: int = 4096  # 1x32x128
    maxout_pieces: int = 2  # p = 2
    embedding_dim: int = 128
    image_size: int = 220
    lrn_size: int = 5  # not given in the paper (AlexNet's value)


class Maxout(nn.Module):
    """A fully connected maxout layer: ``pieces`` linear maps, elementwise maximum (Goodfellow et al. 2013)."""

    def __init__(self, c_in: int, c_out: int, pieces: int):
        super().__init__()
        self.pieces = pieces
        self.linear = nn.Linear(c_in, c_out * pieces)

    def forward(self, x: Tensor) -> Tensor:  # (B, c_in) -> (B, c_out)
        return self.linear(x).unflatten(1, (-1, self.pieces)).amax(dim=2)


class FaceNetNN1(nn.Module):
    def __init__(self, cfg: FaceNetNN1Config):
        super().__init__()
        norm = nn.LocalResponseNorm(cfg.lrn_size, alpha=1e-4, beta=0.75)
        layers: list[nn.Module] = [
            conv_relu(3, cfg.conv1, 7, stride=2),  # conv1 (B, 64, 110, 110)
            nn.MaxPool2d(3, 2, padding=1),
            norm,  # pool1, rnorm1 (B, 64, 55, 55)
        ]
        c = cfg.conv1
        for i, width in enumerate(cfg.pairs):
            layers += [conv_relu(c, c, 1), conv_relu(c, width, 3)]  # conv{i+2}a 1x1, conv{i+2} 3x3
            c = width
            if i in cfg.norm_after:
                layers.append(norm)
            if i in cfg.pool_after:
                layers.append(nn.MaxPool2d(3, 2, padding=1))
        self.features = nn.Sequential(*layers)
        side = cfg.image_size
        for _ in range(2 + len(cfg.pool_after)):  # conv1's stride, pool1, and the later pools
            side = (side + 1) // 2
        self.head = nn.Sequential(
            nn.Flatten(),
            Maxout(c * side * side, cfg.fc_width, cfg.maxout_pieces),  # fc1 (B, 4096)
            Maxout(cfg.fc_width, cfg.fc_width, cfg.maxout_pieces),  # fc2 (B, 4096)
            nn.Linear(cfg.fc_width, cfg.embedding_dim),  # fc7128 (B, 128)
        )
        for m in self.modules():  # He initialisation; the paper gives none
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, H, W) -> (B, 128), unit length
        return F.normalize(self.head(self.features(x)), dim=1)


# --- the triplet loss with online semi-hard negative mining ---------------------------------------


def semi_hard_triplets(embeddings: Tensor, labels: Tensor, margin: float) -> tuple[Tensor, Tensor, Tensor]:
    """Indices (a, p, n): every anchor-positive pair of the batch with a semi-hard negative (Eq. 4).

    Selection uses the current distances and carries no gradient. Among the negatives farther
    from the anchor than the positive, the closest one is taken; if there is none, the closest
    negative overall.
    """
    with torch.no_grad():
        d = torch.cdist(embeddings, embeddings).pow(2)  # (B, B) squared distances
        same = labels[:, None] == labels[None, :]
        eye = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
        a_idx, p_idx = torch.nonzero(same & ~eye, as_tuple=True)  # all anchor-positive pairs
        d_ap = d[a_idx, p_idx][:, None]  # (P, 1)
        d_an = d[a_idx]  # (P, B)
        negative = ~same[a_idx]  # (P, B)
        inf = torch.full_like(d_an, float("inf"))
        semi_hard = torch.where(negative & (d_an > d_ap), d_an, inf)
        hardest = torch.where(negative, d_an, inf)
        has_semi_hard = torch.isfinite(semi_hard).any(dim=1)
        n_idx = torch.where(has_semi_hard, semi_hard.argmin(dim=1), hardest.argmin(dim=1))
    return a_idx, p_idx, n_idx


def triplet_loss(embeddings: Tensor, a: Tensor, p: Tensor, n: Tensor, margin: float) -> Tensor:
    """Eq. 1, averaged over the triplets: mean(max(0, ||a - p||^2 - ||a - n||^2 + alpha))."""
    d_ap = (embeddings[a] - embeddings[p]).pow(2).sum(1)
    d_an = (embeddings[a] - embeddings[n]).pow(2).sum(1)
    return F.relu(d_ap - d_an + margin).mean()


def triplet_case(
    model: nn.Module, rng: torch.Generator, image_size: int, embedding_dim: int, lr: float = FaceNetConfig.lr
) -> SmokeCase:
    """Triplet training with online semi-hard mining on synthetic "identities" (4 people x 4 views)."""
    margin = FaceNetConfig.margin
    identities, per_identity = 4, 4
    faces = torch.randn(identities, 1, 3, image_size, image_size, generator=rng)  # one "face" per person
    noise = torch.randn(identities, per_identity, 3, image_size, image_size, generator=rng)
    images = (faces + 0.5 * noise).flatten(0, 1)  # (16, 3, S, S): several views of each person
    labels = torch.arange(identities).repeat_interleave(per_identity)  # (16,)
    batch = {"image": images, "label": labels}

    def loss(b: dict[str, Tensor]) -> Tensor:
        emb = model(b["image"])  # (B, 16)
        a, p, n = semi_hard_triplets(emb, b["label"], margin)  # mined online, without gradient
        return triplet_loss(emb, a, p, n, margin)

    opt = torch.optim.Adagrad(model.parameters(), lr=lr)
    case = loss_case(
        {"model": model},
        batch,
        opt,
        losses=loss,
        outputs=lambda b: {"embedding": model(b["image"])},
        output_shapes={"embedding": (identities * per_identity, embedding_dim)},
    )
    case.optimizers.append(opt)  # Adagrad makes its sums when created: they move with the case
    return case


def facenet_smoke(rng: torch.Generator) -> SmokeCase:
    # Two inception stages of NN2's kinds (max with projection, L2 with projection, stride-2) at 1/8 width.
    cfg = FaceNetConfig(
        modules=(
            InceptionSpec(8, 12, 16, 2, 4, "max", 4),
            InceptionSpec(8, 12, 16, 4, 8, "l2", 8),
            InceptionSpec(0, 16, 32, 4, 8, "max", 0, stride=2),
        ),
        stem_width=8,
        stem_reduce=8,
        stem_out=24,
        image_size=32,
        embedding_dim=16,
    )
    return triplet_case(FaceNetNN2(cfg), rng, cfg.image_size, cfg.embedding_dim)


def facenet_nn1_smoke(rng: torch.Generator) -> SmokeCase:
    # Every layer kind of NN1 (1x1/3x3 pairs, norms, pools, two maxout layers) at 1/8 width, 32x32 input.
    cfg = FaceNetNN1Config(conv1=8, pairs=(24, 48, 32, 32, 32), fc_width=64, embedding_dim=16, image_size=32)
    # AdaGrad at 0.003: the paper's 0.05 makes the narrow twelve-convolution stack collapse on 16 images.
    return triplet_case(FaceNetNN1(cfg), rng, cfg.image_size, cfg.embedding_dim, lr=0.003)


@register_model(entry="facenet", smoke=facenet_smoke, input_shape=(3, 224, 224))
def facenet_nn2() -> FaceNetNN2:
    return FaceNetNN2(FaceNetConfig())


@register_model(entry="facenet", smoke=facenet_nn1_smoke, input_shape=(3, 220, 220))
def facenet_nn1() -> FaceNetNN1:
    return FaceNetNN1(FaceNetNN1Config())
