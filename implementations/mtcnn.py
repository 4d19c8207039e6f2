"""MTCNN, from "Joint Face Detection and Alignment using Multi-task Cascaded Convolutional Networks"
(Zhang, Zhang, Li and Qiao, 2016).

Paper: https://arxiv.org/abs/1604.02878 — catalogue entry ``mtcnn``.

Three small CNNs work coarse to fine (Section II.A). P-Net, fully convolutional, scans an image
pyramid and proposes candidate windows with box regression vectors; after calibration and
non-maximum suppression (NMS) the candidates are cropped to 24x24 for R-Net, which rejects most of
them and refines the boxes; the survivors, cropped to 48x48, go to O-Net, which makes the final
decision and also outputs five facial landmarks. Every network has the same three heads: face
classification (2-way softmax), bounding-box regression (4 offsets: left, top, width, height) and
landmark localisation (5 points, 10 numbers).

Networks of Figure 2 (3x3 convolutions, stride 1, no padding; "MP kxk/2" a max pool that rounds
its output size up, as Caffe does; PReLU after every convolution and fully connected layer but the
output layers, Section II.B):

    P-Net  (B, 3, 12, 12)  conv 3x3 10, MP 3x3/2                   -> (B, 10, 5, 5)
                           conv 3x3 16, conv 3x3 32                -> (B, 32, 1, 1)
                           1x1 convolutions: face 2, box 4, landmarks 10
    R-Net  (B, 3, 24, 24)  conv 3x3 28, MP 3x3/2                   -> (B, 28, 11, 11)
                           conv 3x3 48, MP 3x3/2                   -> (B, 48, 4, 4)
                           conv 2x2 64                             -> (B, 64, 3, 3)
                           fully connected 576 -> 128; face 2, box 4, landmarks 10
    O-Net  (B, 3, 48, 48)  conv 3x3 32, MP 3x3/2                   -> (B, 32, 23, 23)
                           conv 3x3 64, MP 3x3/2                   -> (B, 64, 10, 10)
                           conv 3x3 64, MP 2x2/2                   -> (B, 64, 4, 4)
                           conv 2x2 128                            -> (B, 128, 3, 3)
                           fully connected 1152 -> 256; face 2, box 4, landmarks 10

Training (Section II.C). Each sample i carries some of three losses:

    L_det   = -(y log p + (1 - y) log(1 - p))      face / non-face cross-entropy   (Eq. 1)
    L_box   = ||y^box - y_box||_2^2                Euclidean loss on 4 offsets      (Eq. 2)
    L_lmk   = ||y^lmk - y_lmk||_2^2                Euclidean loss on 10 coordinates (Eq. 3)

and the objective is  min sum_i sum_j alpha_j beta_i^j L_i^j  (Eq. 4), with beta_i^j in {0, 1}
saying which tasks sample i takes part in: negatives (IoU < 0.3 with every face) and positives
(IoU > 0.65) in face classification, positives and part faces (0.4 < IoU < 0.65) in box
regression, landmark faces (CelebA) in landmark regression. Task weights alpha: det 1, box 0.5,
landmark 0.5 for P-Net and R-Net; det 1, box 0.5, landmark 1 for O-Net. Online hard sample mining
(Section II.C.5): in each mini-batch, the face-classification losses are sorted and only the top
70% (the hard samples) are back-propagated. The networks are trained one after the other by
stochastic gradient descent, R-Net on P-Net's detections and O-Net on the first two stages'.

Deviations from the paper are listed once, in the entry ``mtcnn`` (catalog/faces/mtcnn.yaml).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.smoke import Losses, SmokeCase
from implementations.registry import register_model


@dataclass(frozen=True)
class MTCNNConfig:
    pnet: tuple[int, int, int] = (10, 16, 32)  # Figure 2: P-Net convolution widths
    rnet: tuple[int, int, int, int] = (28, 48, 64, 128)  # Figure 2: R-Net convolutions and fully connected layer
    onet: tuple[int, int, int, int, int] = (
        32,
        64,
        64,
        128,
        256,
    )  # Figure 2: O-Net convolutions and fully connected layer
    landmarks: int = 5  # Section II.C.3: eyes, nose, mouth corners -> 10 coordinates
    alpha_pr: tuple[float, float, float] = (1.0, 0.5, 0.5)  # Eq. 4: (det, box, landmark) weights of P-Net and R-Net
    alpha_o: tuple[float, float, float] = (1.0, 0.5, 1.0)  # Eq. 4: O-Net weights, more weight on landmarks
    hard_ratio: float = 0.7  # Section II.C.5: back-propagate the top 70% face-classification losses


def conv_prelu(c_in: int, c_out: int, k: int) -> nn.Sequential:
    """A valid (unpadded) convolution followed by a per-channel PReLU."""
    return nn.Sequential(nn.Conv2d(c_in, c_out, k), nn.PReLU(c_out))


def max_pool(k: int) -> nn.MaxPool2d:
    return nn.MaxPool2d(k, 2, ceil_mode=True)  # Caffe rounds up: 10 -> 5, 22 -> 11, 46 -> 23


class Heads(nn.Module):
    """Face classification (2), box regression (4) and landmarks (10) from one feature vector or map."""

    def __init__(self, c_in: int, landmarks: int, conv: bool):
        super().__init__()
        make = (lambda c_out: nn.Conv2d(c_in, c_out, 1)) if conv else (lambda c_out: nn.Linear(c_in, c_out))
        self.face, self.box, self.landmark = make(2), make(4), make(2 * landmarks)

    def forward(self, h: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        return self.face(h), self.box(h), self.landmark(h)


class PNet(nn.Module):
    """Proposal network: fully convolutional, one 12x12 window per output position."""

    def __init__(self, widths: tuple[int, int, int], landmarks: int = 5):
        super().__init__()
        c1, c2, c3 = widths
        self.body = nn.Sequential(
            conv_prelu(3, c1, 3),
            max_pool(3),  # (B, 10, 5, 5) on a 12x12 window
            conv_prelu(c1, c2, 3),  # (B, 16, 3, 3)
            conv_prelu(c2, c3, 3),  # (B, 32, 1, 1)
        )
        self.heads = Heads(c3, landmarks, conv=True)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:  # (B, 3, H, W) -> maps (B, 2|4|10, H', W')
        return self.heads(self.body(x))


class CropNet(nn.Module):
    """R-Net and O-Net: unpadded 3x3 convolutions, each followed by a max pool, then a 2x2 convolution to a
    3x3 map, a fully connected layer with PReLU, and the three heads."""

    def __init__(self, widths: tuple[int, ...], pools: tuple[int, ...], landmarks: int = 5):
        super().__init__()
        *convs, last, fc = widths
        layers: list[nn.Module] = []
        c = 3
        for width, pool in zip(convs, pools, strict=True):
            layers += [conv_prelu(c, width, 3), max_pool(pool)]
            c = width
        layers += [conv_prelu(c, last, 2), nn.Flatten(), nn.Linear(last * 3 * 3, fc), nn.PReLU(fc)]  # (B, fc)
        self.body = nn.Sequential(*layers)
        self.heads = Heads(fc, landmarks, conv=False)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:  # (B, 3, S, S) -> (B, 2), (B, 4), (B, 10)
        return self.heads(self.body(x))


class RNet(CropNet):
    """Refinement network on 24x24 crops: (B, 28, 11, 11) -> (B, 48, 4, 4) -> (B, 64, 3, 3) -> (B, 128)."""

    def __init__(self, widths: tuple[int, int, int, int], landmarks: int = 5):
        super().__init__(widths, pools=(3, 3), landmarks=landmarks)


class ONet(CropNet):
    """Output network on 48x48 crops, final decision, box and landmarks:
    (B, 32, 23, 23) -> (B, 64, 10, 10) -> (B, 64, 4, 4) -> (B, 128, 3, 3) -> (B, 256)."""

    def __init__(self, widths: tuple[int, int, int, int, int], landmarks: int = 5):
        super().__init__(widths, pools=(3, 3, 2), landmarks=landmarks)


class MTCNN(nn.Module):
    """The three networks of the cascade, each with its Eq. 4 task weights."""

    def __init__(self, cfg: MTCNNConfig):
        super().__init__()
        self.cfg = cfg
        self.pnet = PNet(cfg.pnet, cfg.landmarks)
        self.rnet = RNet(cfg.rnet, cfg.landmarks)
        self.onet = ONet(cfg.onet, cfg.landmarks)
        self.alphas = {"pnet": cfg.alpha_pr, "rnet": cfg.alpha_pr, "onet": cfg.alpha_o}

    def forward(self, x12: Tensor, x24: Tensor, x48: Tensor) -> dict[str, tuple[Tensor, Tensor, Tensor]]:
        """Each network on a batch of crops of its own size: (face logits, box offsets, landmarks)."""
        p = tuple(t.flatten(1) for t in self.pnet(x12))  # a 12x12 crop gives 1x1 maps -> (B, 2|4|10)
        return {"pnet": p, "rnet": self.rnet(x24), "onet": self.onet(x48)}


def multitask_loss(
    outputs: tuple[Tensor, Tensor, Tensor],
    target: dict[str, Tensor],
    alpha: tuple[float, float, float],
    hard_ratio: float,
) -> dict[str, Tensor]:
    """Eq. 4 with online hard sample mining on the face-classification task.

    ``target``: ``label`` (B,) with 1 face, 0 non-face, -1 no classification loss; ``box`` (B, 4)
    and ``landmark`` (B, 10) with boolean masks ``has_box`` and ``has_landmark`` (beta of Eq. 4).
    """
    face, box, landmark = outputs  # (B, 2), (B, 4), (B, 10)
    cls_mask = target["label"] >= 0
    det = F.cross_entropy(face[cls_mask], target["label"][cls_mask], reduction="none")  # Eq. 1 per sample
    keep = math.ceil(hard_ratio * det.numel())
    det_hard = det.topk(keep).values.mean()  # only the hardest 70% are back-propagated
    box_loss = (box - target["box"]).pow(2).sum(1)[target["has_box"]].mean()  # Eq. 2
    lmk_loss = (landmark - target["landmark"]).pow(2).sum(1)[target["has_landmark"]].mean()  # Eq. 3
    total = alpha[0] * det_hard + alpha[1] * box_loss + alpha[2] * lmk_loss  # Eq. 4
    return {"det": det_hard, "box": box_loss, "landmark": lmk_loss, "total": total}


def synthetic_samples(rng: torch.Generator, size: int, landmarks: int) -> dict[str, Tensor]:
    """One mini-batch of the four kinds of training data: 6 negatives, 2 positives, 2 part faces, 4 landmark faces."""
    kinds = torch.tensor([0] * 6 + [1] * 2 + [2] * 2 + [3] * 4)  # negative, positive, part, landmark face
    n = len(kinds)
    return {
        "image": torch.randn(n, 3, size, size, generator=rng),
        "label": torch.where(kinds == 0, 0, torch.where(kinds == 1, 1, -1)),  # classification: negatives and positives
        "box": 0.3 * torch.randn(n, 4, generator=rng),  # offsets normalised by the window size
        "has_box": (kinds == 1) | (kinds == 2),  # box regression: positives and part faces
        "landmark": torch.rand(n, 2 * landmarks, generator=rng),  # coordinates relative to the window
        "has_landmark": kinds == 3,
    }


def mtcnn_smoke(rng: torch.Generator) -> SmokeCase:
    # The three networks of Figure 2 at half width, each with its own synthetic mini-batch.
    cfg = MTCNNConfig(pnet=(5, 8, 16), rnet=(14, 24, 32, 64), onet=(16, 32, 32, 64, 128))
    model = MTCNN(cfg)
    nets = {"pnet": model.pnet, "rnet": model.rnet, "onet": model.onet}
    sizes = {"pnet": 12, "rnet": 24, "onet": 48}
    batch = {name: synthetic_samples(rng, size, cfg.landmarks) for name, size in sizes.items()}
    opts = {name: torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9) for name, net in nets.items()}

    def run(name: str, b: dict[str, Tensor]) -> tuple[Tensor, Tensor, Tensor]:
        out = nets[name](b["image"])
        return tuple(t.flatten(1) for t in out)  # P-Net's 1x1 maps -> vectors

    def step(b: dict[str, dict[str, Tensor]]) -> Losses:
        model.train()
        losses: Losses = {}
        for name in nets:  # the three networks are trained separately, each with its own weights alpha
            opts[name].zero_grad(set_to_none=True)
            parts = multitask_loss(run(name, b[name]), b[name], model.alphas[name], cfg.hard_ratio)
            parts["total"].backward()
            opts[name].step()
            losses.update({f"{name}_{k}": v.detach() for k, v in parts.items()})
        return {"loss": sum(losses[f"{name}_total"] for name in nets), **losses}  # monitored: the three totals

    def outputs(b: dict[str, dict[str, Tensor]]) -> dict[str, Tensor]:
        model.eval()
        result = {}
        for name in nets:
            face, box, landmark = run(name, b[name])
            result.update({f"{name}_face": face, f"{name}_box": box, f"{name}_landmark": landmark})
        return result

    n = len(batch["pnet"]["label"])
    shapes = {}
    for name in nets:
        shapes.update({f"{name}_face": (n, 2), f"{name}_box": (n, 4), f"{name}_landmark": (n, 2 * cfg.landmarks)})
    return SmokeCase(
        networks=nets,
        batch=batch,
        step=step,
        outputs=outputs,
        output_shapes=shapes,
        monitor="loss",
    )


@register_model(
    entry="mtcnn",
    smoke=mtcnn_smoke,
    example_inputs=lambda: (torch.empty(1, 3, 12, 12), torch.empty(1, 3, 24, 24), torch.empty(1, 3, 48, 48)),  # crops
)
def mtcnn() -> MTCNN:
    return MTCNN(MTCNNConfig())
