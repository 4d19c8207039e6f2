"""CRNN, from "An End-to-End Trainable Neural Network for Image-based Sequence Recognition and Its
Application to Scene Text Recognition" (Shi, Bai and Yao, 2015).

Paper: https://arxiv.org/abs/1507.05717 — catalogue entry ``crnn``.

Three parts, trained jointly with one loss (Figure 1):

1. Convolutional layers (Table 1): a VGG-style stack without fully connected layers turns a
   grey word image of height 32 into a feature map of height 1. The 3rd and 4th max-pooling layers
   have rectangular windows that halve the height but keep the width, so the feature sequence is
   long; batch normalisation after the 5th and 6th convolutions eases training of the deep stack
   (the released code places it after the 3rd, 5th and 7th; the paper's placement is used here).
2. Map-to-sequence and recurrent layers (Section 2.2): the i-th column of the feature map, left to
   right, is the i-th frame of a sequence; a deep bidirectional LSTM predicts, for every frame, a
   distribution over the characters and a blank.
3. Transcription (Section 2.3): connectionist temporal classification (CTC) gives the probability
   of a label sequence by summing over all frame-wise paths that collapse to it; training minimises
   its negative log-likelihood. Lexicon-free decoding takes the most probable label per frame, then
   removes repeats and blanks.

Network on a 100x32 input (Table 1; Torch pooling and projection details from the authors'
released code, ``model/crnn_demo/config.lua``):

    input                                                    (B, 1, 32, 100)
    conv 64, 3x3, pad 1, ReLU; max pool 2x2, stride 2        (B, 64, 16, 50)
    conv 128, 3x3, pad 1, ReLU; max pool 2x2, stride 2       (B, 128, 8, 25)
    conv 256, 3x3; conv 256, 3x3 (ReLU each)                 (B, 256, 8, 25)
    max pool "1x2": 2x2 window, stride (2, 1), pad (0, 1)    (B, 256, 4, 26)
    conv 512, 3x3, BN, ReLU; conv 512, 3x3, BN, ReLU         (B, 512, 4, 26)
    max pool "1x2": 2x2 window, stride (2, 1), pad (0, 1)    (B, 512, 2, 27)
    conv 512, 2x2, pad 0, ReLU                               (B, 512, 1, 26)
    map-to-sequence                                          (T=26, B, 512)
    BiLSTM 256 per direction; linear join of both directions (T, B, 256)
    BiLSTM 256 per direction; linear join -> 37 classes      (T, B, 37) = 36 characters + blank
    log-softmax per frame, CTC                               (T, B, 37)

The "join" is the authors' BiRnnJoin: each direction's output is projected by a linear layer and
the two projections summed, which is one linear map of the concatenated outputs (implemented so;
the code's two summed bias vectors become one, 256 + 37 parameters fewer than the released model).
The 37 classes are the 10 digits and 26 case-insensitive letters of the lexicon-free setting
(``nClasses = 36`` in the released code) plus the CTC blank. Training (Section 3.2): ADADELTA with
rho = 0.9, on synthetic word images scaled to 100x32.

Deviations from the paper are listed once, in the entry ``crnn`` (catalog/ocr/crnn.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.loss_case import loss_case
from implementations.kit.smoke import SmokeCase
from implementations.registry import register_model


@dataclass(frozen=True)
class CRNNConfig:
    widths: tuple[int, ...] = (64, 128, 256, 256, 512, 512, 512)  # Table 1, the seven convolutions
    batch_norm_after: tuple[int, ...] = (5, 6)  # Table 1: BN after the 5th and 6th convolutions
    lstm_hidden: int = 256  # Table 1: 256 hidden units per direction, both BiLSTM layers
    num_classes: int = 37  # 36 characters (released code) + the CTC blank, index 0
    in_channels: int = 1  # grey-scale input
    height: int = 32  # Table 1: W x 32 input
    rho: float = 0.9  # Section 3.2: ADADELTA with rho = 0.9


def conv_relu(c_in: int, c_out: int, kernel: int, padding: int, batch_norm: bool) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, kernel, padding=padding)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(c_out))
    layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


def tall_pool() -> nn.MaxPool2d:
    """The "1x2" pooling of Table 1: halves the height, keeps (+1) the width."""
    return nn.MaxPool2d(kernel_size=2, stride=(2, 1), padding=(0, 1))


class ConvFeatures(nn.Module):
    """The convolutional layers of Table 1: (B, 1, 32, W) -> (B, 512, 1, W/4 + 1)."""

    def __init__(self, cfg: CRNNConfig):
        super().__init__()
        w = cfg.widths
        bn = [i + 1 in cfg.batch_norm_after for i in range(7)]
        self.net = nn.Sequential(
            conv_relu(cfg.in_channels, w[0], 3, 1, bn[0]),
            nn.MaxPool2d(2, 2),  # (B, 64, 16, W/2)
            conv_relu(w[0], w[1], 3, 1, bn[1]),
            nn.MaxPool2d(2, 2),  # (B, 128, 8, W/4)
            conv_relu(w[1], w[2], 3, 1, bn[2]),
            conv_relu(w[2], w[3], 3, 1, bn[3]),
            tall_pool(),  # (B, 256, 4, W/4 + 1)
            conv_relu(w[3], w[4], 3, 1, bn[4]),
            conv_relu(w[4], w[5], 3, 1, bn[5]),
            tall_pool(),  # (B, 512, 2, W/4 + 2)
            conv_relu(w[5], w[6], 2, 0, bn[6]),  # (B, 512, 1, W/4 + 1)
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class BidirectionalLSTM(nn.Module):
    """One BiLSTM layer whose two directions are joined by a linear map: (T, B, C) -> (T, B, out)."""

    def __init__(self, c_in: int, hidden: int, c_out: int):
        super().__init__()
        self.rnn = nn.LSTM(c_in, hidden, bidirectional=True)
        self.join = nn.Linear(2 * hidden, c_out)  # = W_fwd h_fwd + W_bwd h_bwd + b (BiRnnJoin)

    def forward(self, x: Tensor) -> Tensor:
        h, _ = self.rnn(x)  # (T, B, 2 * hidden)
        return self.join(h)


class CRNN(nn.Module):
    def __init__(self, cfg: CRNNConfig):
        super().__init__()
        self.cnn = ConvFeatures(cfg)
        self.rnn = nn.Sequential(
            BidirectionalLSTM(cfg.widths[-1], cfg.lstm_hidden, cfg.lstm_hidden),
            BidirectionalLSTM(cfg.lstm_hidden, cfg.lstm_hidden, cfg.num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        """(B, 1, 32, W) -> per-frame log-probabilities (T, B, num_classes), T = W/4 + 1."""
        f = self.cnn(x)  # (B, C, 1, T)
        seq = f.squeeze(2).permute(2, 0, 1)  # map-to-sequence: column t is frame t, (T, B, C)
        return F.log_softmax(self.rnn(seq), dim=-1)


def greedy_decode(log_probs: Tensor, blank: int = 0) -> list[list[int]]:
    """Lexicon-free transcription: best label per frame, then drop repeats and blanks."""
    best = log_probs.argmax(-1).t()  # (B, T)
    out = []
    for row in best.tolist():
        labels, prev = [], blank
        for k in row:
            if k != prev and k != blank:
                labels.append(k)
            prev = k
        out.append(labels)
    return out


def crnn_smoke(rng: torch.Generator) -> SmokeCase:
    cfg = CRNNConfig(widths=(8, 16, 32, 32, 64, 64, 64), lstm_hidden=32, num_classes=11)
    model = CRNN(cfg)
    b, width, length = 4, 64, 4
    images = torch.randn(b, 1, cfg.height, width, generator=rng)  # (B, 1, 32, 64)
    targets = torch.randint(1, cfg.num_classes, (b, length), generator=rng)  # labels, blank excluded
    frames = width // 4 + 1  # T = 17
    batch = {
        "image": images,
        "targets": targets,
        "input_lengths": torch.full((b,), frames, dtype=torch.long),
        "target_lengths": torch.full((b,), length, dtype=torch.long),
    }
    ctc = nn.CTCLoss(blank=0)
    return loss_case(
        {"crnn": model},
        batch,
        torch.optim.Adadelta(model.parameters(), lr=1.0, rho=cfg.rho),
        losses=lambda bt: ctc(model(bt["image"]), bt["targets"], bt["input_lengths"], bt["target_lengths"]),
        outputs=lambda bt: {"log_probs": model(bt["image"])},  # (T, B, K)
        output_shapes={"log_probs": (frames, b, cfg.num_classes)},
        monitor="ctc",
    )


@register_model(entry="crnn", smoke=crnn_smoke, input_shape=(1, 32, 100))
def crnn() -> CRNN:
    return CRNN(CRNNConfig())
