"""RFS, from "Rethinking Few-Shot Image Classification: a Good Embedding Is All You Need?" (Tian,
Wang, Krishnan, Tenenbaum and Isola, 2020).

Paper: https://arxiv.org/abs/2003.11539 — catalogue entry ``rethinking-few-shot``.

No meta-learning: the classes of all meta-training tasks are merged into one ordinary
classification problem (64 classes for miniImageNet), an embedding network f_phi with a linear
classifier on top is trained on it with cross-entropy, and the classifier is thrown away. A
few-shot episode (N ways, K shots) is then solved on frozen embeddings (Section 3.2):

    z = f_phi(x) / ||f_phi(x)||_2                       L2-normalised 640-d embedding
    W, b = argmin sum_{support} CE(W z + b, y) + R(W)    multinomial logistic regression on the support set
    query prediction = argmax (W z_q + b)

RFS-distill (Section 3.3) adds sequential self-distillation in the manner of born-again networks:
generation k, of the same architecture, is trained from scratch on the merged base classes with

    L = alpha * CE(y, f_k(x)) + beta * T^2 * KL( softmax(f_{k-1}(x) / T) || softmax(f_k(x) / T) )

where f_{k-1} is the frozen previous generation, T = 4 and alpha = beta = 0.5 (the authors' code:
``kd_T`` and ``scripts/run.sh``); the embedding of the last generation is used as above.

Backbone: the ResNet-12 of the authors' code (``models/resnet.py``), four residual blocks of
widths 64-160-320-640, each

    3x3 conv, BN, LeakyReLU(0.1); 3x3 conv, BN, LeakyReLU(0.1); 3x3 conv, BN   (no biases)
    + shortcut (1x1 conv + BN), LeakyReLU(0.1), 2x2 max pool, then dropout (blocks 1, 2) or
      DropBlock (blocks 3, 4), rate 0.1

On an 84x84 miniImageNet image:

    block 1   64 maps  -> (B, 64, 42, 42)
    block 2  160 maps  -> (B, 160, 21, 21)
    block 3  320 maps  -> (B, 320, 10, 10)      DropBlock, block size 5
    block 4  640 maps  -> (B, 640, 5, 5)        DropBlock, block size 5
    global average pool -> (B, 640) embedding; linear -> (B, 64) logits over the base classes

DropBlock (Ghiasi et al., 2018) zeroes block_size x block_size squares: seeds are drawn with
probability gamma = (1 - keep) / block_size^2 * H^2 / (H - block_size + 1)^2 and the kept
activations are rescaled; keep falls linearly from 1 to 1 - rate over the first 40,000 batches
(the authors' schedule). Here the blocks are placed with a max pool over the seed mask, which gives
the masks of the authors' index arithmetic.

Training on miniImageNet (Section 4, with the values of the authors' ``train_supervised.py``): SGD,
momentum 0.9, weight decay 5e-4, batches of 64, learning rate 0.05 decayed by 0.1 at epochs 60 and
80 of 100, with random crop, colour jitter and horizontal flip; distillation uses the same
schedule. Episodes are evaluated on 600 tasks with 15 queries per class. Details the paper leaves
open (block layout, LeakyReLU slope, DropBlock schedule, scikit-learn's logistic regression with
C = 1) come from the authors' code (``models/resnet.py``, ``eval/meta_eval.py``).

Deviations from the paper are listed once, in the entry ``rethinking-few-shot``
(catalog/representation/rethinking-few-shot.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.loss_case import loss_case
from implementations.kit.smoke import SmokeCase, random_images, random_labels
from implementations.registry import register_model


@dataclass(frozen=True)
class RFSConfig:
    widths: tuple[int, ...] = (64, 160, 320, 640)  # ResNet-12 of the paper (following MetaOptNet / TADAM)
    num_classes: int = 64  # merged miniImageNet meta-training classes
    image_size: int = 84  # miniImageNet
    leaky_slope: float = 0.1  # authors' code: LeakyReLU(0.1)
    drop_rate: float = 0.1  # authors' code: dropout in blocks 1-2, DropBlock in blocks 3-4
    dropblock_size: int = 5  # authors' code: 5 for (tiered)miniImageNet, 2 for CIFAR-FS / FC100
    dropblock_ramp: int = 40_000  # authors' code: keep rate reaches 1 - drop_rate after 20 * 2000 batches
    lr: float = 0.05  # Section 4 / train_supervised.py
    momentum: float = 0.9  # Section 4 / train_supervised.py
    weight_decay: float = 5e-4  # Section 4 / train_supervised.py
    batch_size: int = 64  # Section 4 / train_supervised.py
    temperature: float = 4.0  # distillation temperature T (authors' code, kd_T)
    alpha: float = 0.5  # weight of the cross-entropy in distillation (scripts/run.sh: -r 0.5)
    beta: float = 0.5  # weight of the KL term in distillation (scripts/run.sh: -a 0.5)
    lr_c: float = 1.0  # inverse L2 strength of the episode's logistic regression (scikit-learn's C)


# --- DropBlock and the residual block ----------------------------------------------------------


class DropBlock(nn.Module):
    """Drops square blocks of a feature map during training; identity at evaluation."""

    def __init__(self, block_size: int, drop_rate: float, ramp: int):
        super().__init__()
        self.block_size, self.drop_rate, self.ramp = block_size, drop_rate, ramp
        self.register_buffer("batches", torch.zeros((), dtype=torch.long))  # training batches seen

    def gamma(self, size: int) -> float:
        """Seed probability for a (size x size) map at the current point of the linear schedule."""
        keep = max(1.0 - self.drop_rate * int(self.batches) / self.ramp, 1.0 - self.drop_rate)
        b = self.block_size
        return (1.0 - keep) / b**2 * size**2 / (size - b + 1) ** 2

    def forward(self, x: Tensor) -> Tensor:  # (B, C, H, W) -> (B, C, H, W)
        if not self.training or self.drop_rate == 0:
            return x
        self.batches += 1
        b, (n, c, h, w) = self.block_size, x.shape
        seeds = torch.bernoulli(torch.full((n, c, h - b + 1, w - b + 1), self.gamma(h), device=x.device))
        # each seed at (i, j) blanks the block [i, i + b) x [j, j + b), which lies inside the map
        blocks = F.max_pool2d(F.pad(seeds, (b - 1,) * 4), kernel_size=b, stride=1)  # (B, C, H, W)
        mask = 1.0 - blocks
        return x * mask * (mask.numel() / mask.sum().clamp(min=1.0))


class ResNet12Block(nn.Module):
    """Three 3x3 conv-BN layers with a 1x1 shortcut, LeakyReLU, 2x2 max pool, then (block) dropout."""

    def __init__(self, c_in: int, c_out: int, cfg: RFSConfig, drop_block: bool):
        super().__init__()
        act = lambda: nn.LeakyReLU(cfg.leaky_slope)  # noqa: E731
        self.body = nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
            nn.BatchNorm2d(c_out),
            act(),
            nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
            nn.BatchNorm2d(c_out),
            act(),
            nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
            nn.BatchNorm2d(c_out),
        )
        self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out))
        self.act = act()
        self.pool = nn.MaxPool2d(2)
        if drop_block:
            self.drop: nn.Module = DropBlock(cfg.dropblock_size, cfg.drop_rate, cfg.dropblock_ramp)
        else:
            self.drop = nn.Dropout(cfg.drop_rate)

    def forward(self, x: Tensor) -> Tensor:  # (B, C_in, H, W) -> (B, C_out, H/2, W/2)
        out = self.act(self.body(x) + self.shortcut(x))
        return self.drop(self.pool(out))


# --- the model -----------------------------------------------------------------------------------


class ResNet12(nn.Module):
    """Embedding f_phi (ResNet-12 + global average pool) with the base-class classifier used to train it."""

    def __init__(self, cfg: RFSConfig):
        super().__init__()
        blocks, c_in = [], 3
        for i, width in enumerate(cfg.widths):
            blocks.append(ResNet12Block(c_in, width, cfg, drop_block=i >= 2))  # DropBlock in blocks 3 and 4
            c_in = width
        self.blocks = nn.Sequential(*blocks)
        self.classifier = nn.Linear(c_in, cfg.num_classes)
        for m in self.modules():  # authors' code: He-normal (fan-out) convolutions, BN at (1, 0)
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="leaky_relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def embed(self, x: Tensor) -> Tensor:  # (B, 3, 84, 84) -> (B, 640)
        return self.blocks(x).mean(dim=(2, 3))  # (B, 640, 5, 5) -> global average pool

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, 84, 84) -> (B, 64) base-class logits
        return self.classifier(self.embed(x))


# --- the two training objectives and the episode classifier --------------------------------------


def distillation_loss(
    student_logits: Tensor, teacher_logits: Tensor, labels: Tensor, cfg: RFSConfig
) -> tuple[Tensor, Tensor, Tensor]:
    """alpha * CE + beta * T^2 KL(teacher_T || student_T); returns (total, CE, KL)."""
    t = cfg.temperature
    ce = F.cross_entropy(student_logits, labels)
    kl = F.kl_div(F.log_softmax(student_logits / t, 1), F.softmax(teacher_logits / t, 1), reduction="batchmean") * t**2
    return cfg.alpha * ce + cfg.beta * kl, ce, kl


@torch.no_grad()
def normalised_embedding(model: ResNet12, x: Tensor) -> Tensor:  # (B, 3, H, W) -> (B, D), unit length
    model.eval()
    try:
        return F.normalize(model.embed(x), dim=1)
    finally:
        model.train()


def fit_logistic_regression(
    z: Tensor, y: Tensor, n_way: int, c: float = 1.0, iterations: int = 100
) -> tuple[Tensor, Tensor]:
    """Multinomial logistic regression on the support embeddings z (S, D), labels y (S,).

    Minimises sum_i CE(W z_i + b, y_i) + ||W||^2 / (2c) with L-BFGS; returns W (N, D) and b (N,).
    """
    w = torch.zeros(n_way, z.shape[1], device=z.device, requires_grad=True)
    b = torch.zeros(n_way, device=z.device, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=iterations, line_search_fn="strong_wolfe")

    def closure() -> Tensor:
        opt.zero_grad()
        loss = F.cross_entropy(z @ w.T + b, y, reduction="sum") + w.pow(2).sum() / (2 * c)
        loss.backward()
        return loss

    with torch.enable_grad():
        opt.step(closure)
    return w.detach(), b.detach()


def episode_logits(
    model: ResNet12, support: Tensor, support_labels: Tensor, query: Tensor, n_way: int, c: float
) -> Tensor:
    """RFS at test time: frozen normalised embeddings, a fresh linear classifier per episode -> (Q, N)."""
    w, b = fit_logistic_regression(normalised_embedding(model, support), support_labels, n_way, c)
    return normalised_embedding(model, query) @ w.T + b


# --- configurations and smoke cases ----------------------------------------------------------------

MINI_IMAGENET = RFSConfig()
SMOKE = RFSConfig(
    widths=(8, 16, 32, 64),
    num_classes=8,
    image_size=32,
    dropblock_size=2,
    dropblock_ramp=8,
    batch_size=16,
)
N_WAY, N_SHOT, N_QUERY = 5, 1, 3  # one synthetic 5-way 1-shot episode, 3 queries per class


def _episode(rng: torch.Generator, cfg: RFSConfig) -> dict[str, Tensor]:
    shape = (3, cfg.image_size, cfg.image_size)
    return {
        "support": random_images(rng, N_WAY * N_SHOT, shape),  # (N*K, 3, H, W), novel classes
        "support_labels": torch.arange(N_WAY).repeat_interleave(N_SHOT),  # (N*K,)
        "query": random_images(rng, N_WAY * N_QUERY, shape),  # (N*Q, 3, H, W)
    }


def _sgd(model: nn.Module, cfg: RFSConfig) -> torch.optim.Optimizer:
    return torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)


def _outputs(model: ResNet12, cfg: RFSConfig):
    def outputs(b: dict[str, Tensor]) -> dict[str, Tensor]:
        logits = episode_logits(model, b["support"], b["support_labels"], b["query"], N_WAY, cfg.lr_c)
        return {"query_logits": logits, "embedding": normalised_embedding(model, b["image"])}

    return outputs


_SHAPES = {"query_logits": (N_WAY * N_QUERY, N_WAY), "embedding": (SMOKE.batch_size, SMOKE.widths[-1])}


def rfs_resnet12_smoke(rng: torch.Generator) -> SmokeCase:
    """Pre-training on merged base classes (cross-entropy, SGD); outputs solve one episode."""
    cfg = SMOKE
    model = ResNet12(cfg)
    batch = {
        "image": random_images(rng, cfg.batch_size, (3, cfg.image_size, cfg.image_size)),
        "label": random_labels(rng, cfg.batch_size, cfg.num_classes),
        **_episode(rng, cfg),
    }
    return loss_case(
        {"model": model},
        batch,
        _sgd(model, cfg),
        losses=lambda b: F.cross_entropy(model(b["image"]), b["label"]),
        outputs=_outputs(model, cfg),
        output_shapes=_SHAPES,
    )


def rfs_distill_resnet12_smoke(rng: torch.Generator, teacher_steps: int = 4) -> SmokeCase:
    """One born-again generation: a fresh student learns labels and the frozen teacher's soft targets."""
    cfg = SMOKE
    batch = {
        "image": random_images(rng, cfg.batch_size, (3, cfg.image_size, cfg.image_size)),
        "label": random_labels(rng, cfg.batch_size, cfg.num_classes),
        **_episode(rng, cfg),
    }
    teacher = ResNet12(cfg)  # generation k - 1: a few cross-entropy steps stand in for its training
    opt_t = _sgd(teacher, cfg)
    for _ in range(teacher_steps):
        opt_t.zero_grad(set_to_none=True)
        F.cross_entropy(teacher(batch["image"]), batch["label"]).backward()
        opt_t.step()
    teacher.requires_grad_(False).eval()
    student = ResNet12(cfg)  # generation k: same architecture, trained from scratch

    def losses(b: dict[str, Tensor]) -> dict[str, Tensor]:
        teacher.eval()  # the teacher is frozen and evaluated without dropout (authors' code)
        with torch.no_grad():
            soft = teacher(b["image"])
        loss, ce, kl = distillation_loss(student(b["image"]), soft, b["label"], cfg)
        return {"loss": loss, "cross_entropy": ce, "kl": kl}

    return loss_case(
        {"student": student, "teacher": teacher},  # the teacher has no trainable parameters
        batch,
        _sgd(student, cfg),
        losses=losses,
        outputs=_outputs(student, cfg),
        output_shapes=_SHAPES,
    )


@register_model(entry="rethinking-few-shot", smoke=rfs_resnet12_smoke, input_shape=(3, 84, 84))
def rfs_resnet12() -> ResNet12:
    return ResNet12(MINI_IMAGENET)


@register_model(entry="rethinking-few-shot", smoke=rfs_distill_resnet12_smoke, input_shape=(3, 84, 84))
def rfs_distill_resnet12() -> ResNet12:
    return ResNet12(MINI_IMAGENET)  # the student of each generation has the teacher's architecture
