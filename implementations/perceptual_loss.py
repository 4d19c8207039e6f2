"""Perceptual losses, from "Perceptual Losses for Real-Time Style Transfer and Super-Resolution"
(Johnson, Alahi and Fei-Fei, 2016).

Paper: https://arxiv.org/abs/1603.08155 — catalogue entry ``perceptual-loss``.

An image transformation network f_W maps an input image x to an output y_hat = f_W(x) and is
trained, with one forward pass per image at test time, against losses measured by a *loss network*
phi: a VGG-16 pretrained on ImageNet and kept fixed (Section 3). With phi_j(x) the activations of
layer j, of shape (C_j, H_j, W_j):

    feature reconstruction loss   l_feat^j(y_hat, y) = ||phi_j(y_hat) - phi_j(y)||_2^2 / (C_j H_j W_j)
    Gram matrix                   G_j(x)[c, c'] = sum_{h,w} phi_j(x)[c, h, w] phi_j(x)[c', h, w] / (C_j H_j W_j)
    style reconstruction loss     l_style^j(y_hat, y) = ||G_j(y_hat) - G_j(y)||_F^2, summed over a set of layers
    total variation               l_TV(y_hat), a smoothness regulariser on the output

and the network is trained to minimise lambda_c l_feat + lambda_s l_style + lambda_TV l_TV over
its training images. Style transfer uses the feature loss at relu2_2 against the content image and the style
loss at relu1_2, relu2_2, relu3_3 and relu4_3 against one fixed style image; super-resolution uses
only the feature loss at relu2_2 against the high-resolution image (Sections 4.1, 4.2).

The transformation networks are those of the supplementary material. Every "C x k x k conv" is
followed by spatial batch normalisation and ReLU, except the output layer, whose scaled tanh keeps
pixels in [0, 255]; the residual blocks are Gross and Wilber's (conv-BN-ReLU-conv-BN plus the
shortcut, no ReLU after the addition). Style transfer (Table 1), 256x256 images:

    reflection padding 40                          -> (B, 3, 336, 336)
    32 x 9x9 conv, stride 1                        -> (B, 32, 336, 336)
    64 x 3x3 conv, stride 2                        -> (B, 64, 168, 168)
    128 x 3x3 conv, stride 2                       -> (B, 128, 84, 84)
    5 residual blocks, 128 filters, unpadded 3x3   -> (B, 128, 80, 80) ... (B, 128, 64, 64)
    64 x 3x3 conv, stride 1/2                      -> (B, 64, 128, 128)
    32 x 3x3 conv, stride 1/2                      -> (B, 32, 256, 256)
    3 x 9x9 conv, stride 1, scaled tanh            -> (B, 3, 256, 256)

Zero-padded convolutions gave border artefacts in style transfer, so the residual blocks' 3x3
convolutions are unpadded (each shaves one pixel a side; the shortcut centre-crops by 2) and the
input is reflection-padded once so that the output has the input's size. Super-resolution x4
(Table 2), 72x72 input, ordinary zero-padded residual blocks:

    64 x 9x9 conv, stride 1                        -> (B, 64, 72, 72)
    4 residual blocks, 64 filters                  -> (B, 64, 72, 72)
    64 x 3x3 conv, stride 1/2                      -> (B, 64, 144, 144)
    64 x 3x3 conv, stride 1/2                      -> (B, 64, 288, 288)
    3 x 9x9 conv, stride 1, scaled tanh            -> (B, 3, 288, 288)

Training (Section 4): Adam with learning rate 1e-3, batches of 4, no weight decay or dropout.
Style transfer: 80k MS-COCO images resized to 256x256, 40,000 iterations, lambda_TV chosen per
style in [1e-6, 1e-4]. Super-resolution: 288x288 patches of 10k MS-COCO images, low-resolution
inputs made by Gaussian blur (sigma = 1) and bicubic downsampling, 200k iterations.

Details the paper leaves open are taken from the first author's Torch code
(github.com/jcjohnson/fast-neural-style): the fractionally strided convolutions are 3x3 transposed
convolutions with padding 1 and output padding 1; lambda_c = 1, lambda_s = 5 (``doc/training.md``)
and lambda_TV = 1e-6 (the default of ``train.lua``). Those weights were set for the Torch code's
normalisations, which are therefore used with them: the feature loss is the mean squared difference
(``ContentLoss.lua``, as the paper's formula), the style loss the mean squared difference of the
Gram entries (``StyleLoss.lua``: the paper's squared Frobenius norm divided by C_j^2), and the total
variation half the sum of squared differences between neighbouring pixels over the batch (the
gradient that ``TotalVariation.lua`` implements).

Deviations from the paper are listed once, in the entry ``perceptual-loss``
(catalog/representation/perceptual-loss.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal, get_args

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.loss_case import loss_case
from implementations.kit.smoke import Losses, SmokeCase
from implementations.registry import register_model
from implementations.vgg import VGG_D, conv_layer

# relu<stage>_<layer> -> index in the VGG-16 feature stack built by ``vgg16_features`` (a pool closes
# each stage): relu1_2 is layer 1, pool 2, relu2_2 layer 4, pool 5, relu3_3 layer 8, pool 9, relu4_3 layer 12.
VGG16_RELU = {"relu1_2": 1, "relu2_2": 4, "relu3_3": 8, "relu4_3": 12}
VGG_MEAN = (123.68, 116.779, 103.939)  # ImageNet RGB mean of the Caffe VGG-16, on a 0-255 scale


Task = Literal["style", "super_resolution"]  # style transfer (Section 4.1) or x4 super-resolution (Section 4.2)
TASKS: tuple[str, ...] = get_args(Task)


@dataclass(frozen=True)
class PerceptualConfig:
    task: Task
    widths: tuple[int, ...]  # the widths of the convolutions on the way down (style: 32, 64, 128; SR: 64)
    residual_blocks: int  # style: 5 (Table 1); x4 SR: 4 (Table 2)
    upsample_widths: tuple[int, ...]  # the 3x3 convolutions of stride 1/2 (style: 64, 32; x4 SR: 64, 64)
    pad_residual: bool  # zero padding in the residual blocks: no for style, yes for SR (supplementary)
    reflection_padding: int = 0  # style: 40 a side, so that 5 unpadded blocks give back the input size
    outer_kernel: int = 9  # first and last convolutions are 9x9, all others 3x3 (Section 3.1)
    pixel_max: float = 255.0  # scaled tanh: output pixels in [0, 255] (Section 3.1)
    vgg_widths: tuple[int, ...] = (64, 128, 256, 512)  # VGG-16 stages 1-4, up to relu4_3
    content_layers: tuple[str, ...] = ("relu2_2",)  # relu2_2 for style transfer (Section 4.1) and SR (Section 4.2)
    style_layers: tuple[str, ...] = ()  # style: relu1_2, relu2_2, relu3_3, relu4_3 (Section 4.1)
    content_weight: float = 1.0  # lambda_c (Torch code's example command)
    style_weight: float = 5.0  # lambda_s (Torch code's example command)
    tv_weight: float = 1e-6  # lambda_TV: cross-validated in [1e-6, 1e-4] (Section 4.1); Torch default 1e-6
    lr: float = 1e-3  # Adam (Section 4.1, 4.2)
    batch_size: int = 4  # Section 4.1, 4.2
    image_size: int = 256  # style: 256x256 training images; SR x4: 288x288 targets, 72x72 inputs
    blur_sigma: float = 1.0  # SR inputs: Gaussian blur with sigma 1.0 before bicubic downsampling

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {', '.join(map(repr, TASKS))}, got {self.task!r}")
        unknown = [j for j in (*self.content_layers, *self.style_layers) if j not in VGG16_RELU]
        if unknown:
            raise ValueError(f"unknown loss-network layers {unknown}; known: {', '.join(VGG16_RELU)}")


# --- the image transformation network ----------------------------------------------------------


def conv_bn_relu(c_in: int, c_out: int, kernel: int, stride: int = 1) -> nn.Sequential:
    """ "C x k x k conv" of the tables: a zero-padded convolution, then spatial BN and ReLU."""
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


def up_bn_relu(c_in: int, c_out: int) -> nn.Sequential:
    """A 3x3 convolution with stride 1/2 (transposed, stride 2), BN, ReLU: (H, W) -> (2H, 2W)."""
    return nn.Sequential(
        nn.ConvTranspose2d(c_in, c_out, 3, stride=2, padding=1, output_padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


class ResidualBlock(nn.Module):
    """Gross and Wilber's block: x + BN(conv(ReLU(BN(conv(x))))), no ReLU after the addition.

    Unpadded (style transfer), each 3x3 convolution shaves a pixel a side, so the shortcut takes the
    centre crop: (B, C, H, W) -> (B, C, H - 4, W - 4). Padded (super-resolution), the size is kept.
    """

    def __init__(self, width: int, padded: bool):
        super().__init__()
        pad = 1 if padded else 0
        self.crop = 0 if padded else 2
        self.body = nn.Sequential(
            nn.Conv2d(width, width, 3, padding=pad, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
            nn.Conv2d(width, width, 3, padding=pad, bias=False),
            nn.BatchNorm2d(width),
        )

    def forward(self, x: Tensor) -> Tensor:
        c = self.crop
        shortcut = x[:, :, c : x.shape[2] - c, c : x.shape[3] - c] if c else x
        return shortcut + self.body(x)


class TransformationNet(nn.Module):
    """f_W: image in, image out, fully convolutional (Tables 1 and 2 of the supplementary)."""

    def __init__(self, cfg: PerceptualConfig):
        super().__init__()
        self.pixel_max = cfg.pixel_max
        k = cfg.outer_kernel
        layers: list[nn.Module] = []
        if cfg.reflection_padding:
            layers.append(nn.ReflectionPad2d(cfg.reflection_padding))  # (B, 3, H + 80, W + 80)
        channels = 3
        for i, width in enumerate(cfg.widths):  # first 9x9 at stride 1, then 3x3 at stride 2
            layers.append(conv_bn_relu(channels, width, k if i == 0 else 3, stride=1 if i == 0 else 2))
            channels = width
        layers += [ResidualBlock(channels, cfg.pad_residual) for _ in range(cfg.residual_blocks)]
        for width in cfg.upsample_widths:
            layers.append(up_bn_relu(channels, width))
            channels = width
        layers.append(nn.Conv2d(channels, 3, k, padding=k // 2))  # output layer: no BN, no ReLU
        self.layers = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, H, W) -> (B, 3, s*H, s*W) in [0, pixel_max]
        return self.pixel_max * (torch.tanh(self.layers(x)) + 1) / 2  # scaled tanh


# --- the loss network and the losses -----------------------------------------------------------


def vgg16_features(widths: tuple[int, ...]) -> nn.Sequential:
    """VGG-16 (configuration D) convolutions up to relu4_3: stages 1-4, pools between them."""
    layers: list[nn.Module] = []
    channels = 3
    for s, (kernels, width) in enumerate(zip(VGG_D.stages[:4], widths)):
        if s > 0:
            layers.append(nn.MaxPool2d(2, stride=2))
        for kernel in kernels:
            layers.append(conv_layer(channels, width, kernel))
            channels = width
    return nn.Sequential(*layers)  # relu4_3: (B, 512, H/8, W/8)


class LossNetwork(nn.Module):
    """phi: the fixed VGG-16; returns the activations of the requested relu layers."""

    def __init__(self, widths: tuple[int, ...], pixel_max: float):
        super().__init__()
        self.features = vgg16_features(widths)
        for m in self.features.modules():  # a stand-in for the ImageNet weights (see the entry's deviations)
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)
        scale = pixel_max / 255.0
        self.register_buffer("mean", torch.tensor(VGG_MEAN).view(1, 3, 1, 1) * scale)
        self.requires_grad_(False)  # the loss network is never trained
        self.eval()

    def train(self, mode: bool = True) -> LossNetwork:
        return super().train(False)  # frozen: stays in evaluation mode

    def forward(self, x: Tensor, layers: set[str]) -> dict[str, Tensor]:  # (B, 3, H, W) -> {name: (B, C_j, H_j, W_j)}
        wanted = {VGG16_RELU[name]: name for name in layers}
        out: dict[str, Tensor] = {}
        h = x - self.mean
        for i, layer in enumerate(self.features[: max(wanted) + 1]):
            h = layer(h)
            if i in wanted:
                out[wanted[i]] = h
        return out


def feature_reconstruction_loss(phi_out: Tensor, phi_target: Tensor) -> Tensor:
    """||phi_j(y_hat) - phi_j(y)||^2 / (C_j H_j W_j), averaged over the batch."""
    return (phi_out - phi_target).pow(2).mean()


def gram_matrix(phi: Tensor) -> Tensor:  # (B, C, H, W) -> (B, C, C)
    b, c, h, w = phi.shape
    flat = phi.reshape(b, c, h * w)
    return flat @ flat.transpose(1, 2) / (c * h * w)


def style_reconstruction_loss(phi_out: Tensor, gram_target: Tensor) -> Tensor:
    """||G_j(y_hat) - G_j(y_s)||_F^2 / C_j^2 (the Torch code's mean over Gram entries), averaged over the batch.

    ``gram_target`` is (1 or B, C, C).
    """
    return (gram_matrix(phi_out) - gram_target).pow(2).mean()


def total_variation(y: Tensor) -> Tensor:
    """Half the sum of squared differences between horizontal and vertical neighbours, over the batch.

    Its gradient is the one ``TotalVariation.lua`` of the authors' Torch code applies.
    """
    dx = y[:, :, :, 1:] - y[:, :, :, :-1]
    dy = y[:, :, 1:, :] - y[:, :, :-1, :]
    return 0.5 * (dx.pow(2).sum() + dy.pow(2).sum())


class PerceptualLossModel(nn.Module):
    """The transformation network to train and the frozen loss network that scores it."""

    def __init__(self, cfg: PerceptualConfig):
        super().__init__()
        self.cfg = cfg
        self.transform = TransformationNet(cfg)
        self.loss_network = LossNetwork(cfg.vgg_widths, cfg.pixel_max)

    def forward(self, x: Tensor) -> Tensor:  # one feed-forward pass: the whole of test time
        return self.transform(x)

    @torch.no_grad()
    def style_targets(self, style_image: Tensor) -> dict[str, Tensor]:
        """G_j(y_s) for every style layer (fixed for a style; no gradient): {name: (1, C_j, C_j)}."""
        return {k: gram_matrix(v) for k, v in self.loss_network(style_image, set(self.cfg.style_layers)).items()}

    def losses(self, x: Tensor, content: Tensor, grams: dict[str, Tensor] | None = None) -> Losses:
        """lambda_c l_feat(y_hat, y_c) [+ lambda_s l_style(y_hat, y_s)] + lambda_TV l_TV(y_hat)."""
        cfg = self.cfg
        y_hat = self.transform(x)  # (B, 3, H, W)
        content_layers, style_layers = set(cfg.content_layers), set(cfg.style_layers)
        phi_out = self.loss_network(y_hat, content_layers | style_layers)
        with torch.no_grad():
            phi_target = self.loss_network(content, content_layers)
        feat = sum(feature_reconstruction_loss(phi_out[j], phi_target[j]) for j in content_layers)
        tv = total_variation(y_hat)
        total = cfg.content_weight * feat + cfg.tv_weight * tv
        parts = {"feature": feat, "tv": tv}
        if style_layers:
            style = sum(style_reconstruction_loss(phi_out[j], grams[j]) for j in style_layers)
            total = total + cfg.style_weight * style
            parts["style"] = style
        return {"loss": total, **parts}


# --- configurations ----------------------------------------------------------------------------

STYLE_TRANSFER = PerceptualConfig(
    task="style",
    widths=(32, 64, 128),
    residual_blocks=5,
    upsample_widths=(64, 32),
    pad_residual=False,
    reflection_padding=40,
    content_layers=("relu2_2",),
    style_layers=("relu1_2", "relu2_2", "relu3_3", "relu4_3"),
)
SUPER_RESOLUTION_X4 = PerceptualConfig(
    task="super_resolution",
    widths=(64,),
    residual_blocks=4,
    upsample_widths=(64, 64),
    pad_residual=True,
    content_layers=("relu2_2",),
    image_size=288,
)


# --- smoke cases -------------------------------------------------------------------------------


def gaussian_blur(images: Tensor, sigma: float) -> Tensor:
    """Blur each channel with a normalised Gaussian kernel of radius 2 sigma (reflection padded)."""
    radius = max(1, int(round(2 * sigma)))
    t = torch.arange(-radius, radius + 1, dtype=images.dtype)
    g = torch.exp(-(t**2) / (2 * sigma**2))
    g = g / g.sum()
    kernel = (g[:, None] * g[None, :]).expand(3, 1, -1, -1)  # (3, 1, k, k)
    return F.conv2d(F.pad(images, (radius,) * 4, mode="reflect"), kernel, groups=3)


def perceptual_case(cfg: PerceptualConfig, rng: torch.Generator, steps: int = 8) -> SmokeCase:
    """Adam on the perceptual objective of one synthetic batch (style transfer or x4 SR)."""
    model = PerceptualLossModel(cfg)
    b, size = cfg.batch_size, cfg.image_size
    # smooth synthetic "photographs" in [0, pixel_max]: upsampled noise
    coarse = torch.rand(b, 3, size // 8, size // 8, generator=rng)
    images = cfg.pixel_max * F.interpolate(coarse, size=(size, size), mode="bilinear", align_corners=False)
    if cfg.task == "style":
        style = cfg.pixel_max * torch.rand(1, 3, size, size, generator=rng)  # a busy texture as the style
        batch = {"input": images, "content": images, "style": style}
    else:  # the network sees a blurred, 4x bicubic-downsampled copy and must give back the original
        blurred = gaussian_blur(images, cfg.blur_sigma)
        low = F.interpolate(blurred, scale_factor=0.25, mode="bicubic", align_corners=False)
        batch = {"input": low.clamp(0, cfg.pixel_max), "content": images}
    # the style targets G_j(y_s) are recomputed from the batch at each step (no gradient)
    grams = (lambda bt: model.style_targets(bt["style"])) if cfg.task == "style" else (lambda bt: None)
    return loss_case(
        {"model": model},
        batch,
        torch.optim.Adam(model.transform.parameters(), lr=cfg.lr),
        losses=lambda bt: model.losses(bt["input"], bt["content"], grams(bt)),
        outputs=lambda bt: {"image": model(bt["input"])},
        output_shapes={"image": (b, 3, size, size)},  # the content size in both tasks
        steps=steps,
        notes=["the VGG-16 loss network has random weights (no download); a real run loads ImageNet weights"],
    )


def style_transfer_net_smoke(rng: torch.Generator) -> SmokeCase:
    small = replace(
        STYLE_TRANSFER,
        widths=(8, 16, 32),
        upsample_widths=(16, 8),
        vgg_widths=(8, 16, 32, 64),
        batch_size=2,
        image_size=48,
    )
    return perceptual_case(small, rng)


def super_resolution_x4_net_smoke(rng: torch.Generator) -> SmokeCase:
    small = replace(
        SUPER_RESOLUTION_X4,
        widths=(16,),
        upsample_widths=(16, 16),
        vgg_widths=(8, 16, 32, 64),
        batch_size=2,
        image_size=64,
    )
    return perceptual_case(small, rng)


@register_model(entry="perceptual-loss", smoke=style_transfer_net_smoke, input_shape=(3, 256, 256))
def style_transfer_net() -> PerceptualLossModel:
    return PerceptualLossModel(STYLE_TRANSFER)


@register_model(entry="perceptual-loss", smoke=super_resolution_x4_net_smoke, input_shape=(3, 72, 72))
def super_resolution_x4_net() -> PerceptualLossModel:
    return PerceptualLossModel(SUPER_RESOLUTION_X4)
