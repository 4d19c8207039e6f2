"""Improved GAN, from "Improved Techniques for Training GANs" (Salimans, Goodfellow, Zaremba, Cheung,
Radford and Chen, 2016).

Paper: https://arxiv.org/abs/1606.03498 — catalogue entry ``improved-gan``.

Training a GAN looks for a Nash equilibrium of a non-convex game, which simultaneous gradient
descent may never reach. Section 3 proposes changes that make it converge more often:

* feature matching (3.1): the generator matches the mean of an intermediate discriminator layer
  f(x) on real data instead of maximising the discriminator's output,
      L_G = || E_x f(x) - E_z f(G(z)) ||_2^2;
* minibatch discrimination (3.2): features f(x_i) in R^A are multiplied by a tensor T in R^{AxBxC}
  to matrices M_i in R^{BxC}; c_b(x_i, x_j) = exp(-||M_i,b - M_j,b||_L1) and
  o(x_i)_b = sum_j c_b(x_i, x_j) are appended to f(x_i), so the discriminator sees how close each
  sample is to the rest of its minibatch (a collapsed generator is easy to spot);
* historical averaging (3.3): each player's cost gets || theta - (1/t) sum_i theta[i] ||^2;
* one-sided label smoothing (3.4): the discriminator's target for real data is alpha (0.9), for
  generated data still 0.

Semi-supervised learning (Section 5): the discriminator is a classifier with K + 1 outputs, the K
classes and "generated". Since softmax logits are invariant to a shared shift, the generated
class's logit is fixed at 0, so the network outputs K logits l_1..l_K, and with
Z(x) = sum_k exp(l_k(x)) the probability that x is real is D(x) = Z(x) / (Z(x) + 1). The
discriminator minimises

    L = L_supervised + L_unsupervised
    L_supervised   = - E_{x, y ~ labelled} log p(y | x, y < K + 1)          (cross-entropy on l)
    L_unsupervised = - E_{x ~ data} log D(x) - E_z log(1 - D(G(z)))
                   = E_x [softplus(log Z(x)) - log Z(x)] + E_z softplus(log Z(G(z)))

(halved in the authors' code), and a prediction is the arg max of l. The best semi-supervised
results use feature matching for the generator, on f = the discriminator's last hidden layer.

CIFAR-10 networks of the authors' code (github.com/openai/improved-gan,
``mnist_svhn_cifar10/train_cifar_feature_matching.py``), as Section 6.2 outlines (a 9-layer deep
convolutional discriminator with dropout and weight normalisation, a 4-layer deep convolutional
generator with batch normalisation):

    generator, z ~ U(0, 1)^100:
      linear 100 -> 4*4*512 (no bias), BN per unit (shift only), ReLU, reshape  -> (B, 512, 4, 4)
      5x5 transposed conv, stride 2, 256, BN (shift only), ReLU               -> (B, 256, 8, 8)
      5x5 transposed conv, stride 2, 128, BN (shift only), ReLU               -> (B, 128, 16, 16)
      5x5 transposed conv, stride 2, 3, weight norm (trained scale), tanh      -> (B, 3, 32, 32)
    discriminator (every layer weight-normalised with a fixed scale unless said, LeakyReLU 0.2):
      dropout 0.2 on the input
      3x3 conv 96, 3x3 conv 96, 3x3 conv 96 stride 2                          -> (B, 96, 16, 16)
      dropout 0.5
      3x3 conv 192, 3x3 conv 192, 3x3 conv 192 stride 2                       -> (B, 192, 8, 8)
      dropout 0.5
      3x3 conv 192 (no padding), 1x1 conv 192 (NIN), 1x1 conv 192 (NIN)        -> (B, 192, 6, 6)
      global mean pool: f(x)                                                   -> (B, 192)
      [minibatch discrimination, B = 100 kernels of C = 5, in the code's sample-quality model]
      linear 192 -> K = 10, weight norm with trained scale: l(x)               -> (B, 10)

Training (the authors' code): Adam with lr 0.0003 and beta1 = 0.5, batches of 100 labelled,
100 unlabelled and 100 generated examples, 400 labelled examples per class (4,000 in all, as
Table 2), lr decayed linearly to 0 over the last 400 of 1,200 epochs; the test error is measured
with an exponential moving average of the discriminator's weights.

Deviations from the paper are listed once, in the entry ``improved-gan`` (catalog/generative/improved-gan.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.adversarial import GANPair, gan_case, tanh_images
from implementations.kit.smoke import Losses, SmokeCase, random_labels
from implementations.registry import register_model


@dataclass(frozen=True)
class ImprovedGANConfig:
    num_classes: int = 10  # K: CIFAR-10
    z_dim: int = 100  # authors' code: z ~ U(0, 1)^100
    image_size: int = 32
    channels: int = 3
    generator_widths: tuple[int, ...] = (512, 256, 128)  # authors' code: after the projection, then each 2x upsampling
    generator_kernel: int = 5  # authors' code
    discriminator_widths: tuple[int, int] = (96, 192)  # authors' code: the two blocks of three 3x3 convs
    leaky_slope: float = 0.2  # authors' code
    input_dropout: float = 0.2  # authors' code
    dropout: float = 0.5  # authors' code: after each stride-2 block
    init_std: float = 0.05  # authors' code: Normal(0.05)
    minibatch_kernels: int = 0  # B of Section 3.2; 0 in the feature-matching model, 100 in the code's sample model
    minibatch_kernel_dim: int = 5  # C of Section 3.2 (authors' code)
    historical_weight: float = 0.0  # weight of Section 3.3's penalty; not used in the CIFAR-10 code
    real_target: float = 1.0  # Section 3.4: 0.9 with one-sided label smoothing; 1 in the CIFAR-10 code
    unlabeled_weight: float = 1.0  # authors' code: weight of L_unsupervised
    lr: float = 3e-4  # authors' code
    betas: tuple[float, float] = (0.5, 0.999)  # authors' code: beta1 = 0.5
    batch_size: int = 100  # authors' code

    @property
    def start_size(self) -> int:
        return self.image_size // 2 ** len(self.generator_widths)


# --- weight normalisation and shift-only batch normalisation -------------------------------------


def weight_norm(v: Tensor, g: Tensor, dims: tuple[int, ...], shape: tuple[int, ...]) -> Tensor:
    """w = g * v / ||v||, the norm taken over ``dims`` (everything but the output unit)."""
    return v * (g / torch.sqrt(1e-6 + v.pow(2).sum(dim=dims))).view(shape)


class WeightNormed(nn.Module):
    """A weight-normalised layer's direction v, bias and scale g (trained only where the authors' code trains it)."""

    def __init__(self, v_shape: tuple[int, ...], out_features: int, train_scale: bool):
        super().__init__()
        self.v = nn.Parameter(torch.empty(v_shape))
        self.bias = nn.Parameter(torch.zeros(out_features))
        if train_scale:
            self.g = nn.Parameter(torch.ones(out_features))
        else:
            self.register_buffer("g", torch.ones(out_features))


class WNConv2d(WeightNormed):
    """A weight-normalised convolution."""

    def __init__(self, c_in: int, c_out: int, k: int, stride: int = 1, padding: int = 0, train_scale: bool = False):
        super().__init__((c_out, c_in, k, k), c_out, train_scale)
        self.stride, self.padding = stride, padding

    def forward(self, x: Tensor) -> Tensor:  # (B, C_in, H, W) -> (B, C_out, H', W')
        w = weight_norm(self.v, self.g, (1, 2, 3), (-1, 1, 1, 1))
        return F.conv2d(x, w, self.bias, self.stride, self.padding)


class WNLinear(WeightNormed):
    def __init__(self, d_in: int, d_out: int, train_scale: bool = False):
        super().__init__((d_out, d_in), d_out, train_scale)

    def forward(self, x: Tensor) -> Tensor:  # (B, d_in) -> (B, d_out)
        return F.linear(x, weight_norm(self.v, self.g, (1,), (-1, 1)), self.bias)


class WNConvTranspose2d(WeightNormed):
    """The generator's output layer: a weight-normalised 5x5 stride-2 transposed convolution, trained scale."""

    def __init__(self, c_in: int, c_out: int, k: int):
        super().__init__((c_in, c_out, k, k), c_out, train_scale=True)
        self.padding = k // 2

    def forward(self, x: Tensor) -> Tensor:  # (B, C_in, H, W) -> (B, C_out, 2H, 2W)
        w = weight_norm(self.v, self.g, (0, 2, 3), (1, -1, 1, 1))
        return F.conv_transpose2d(x, w, self.bias, stride=2, padding=self.padding, output_padding=1)


class ShiftBatchNorm(nn.Module):
    """Batch normalisation with a learnt shift and no scale (``nn.batch_norm(..., g=None)`` in the code)."""

    def __init__(self, features: int, spatial: bool):
        super().__init__()
        bn = nn.BatchNorm2d if spatial else nn.BatchNorm1d
        self.norm = bn(features, eps=1e-6, affine=False)
        self.shift = nn.Parameter(torch.zeros(features))
        self.view = (1, -1, 1, 1) if spatial else (1, -1)

    def forward(self, x: Tensor) -> Tensor:
        return self.norm(x) + self.shift.view(self.view)


# --- minibatch discrimination (Section 3.2) ------------------------------------------------------


class MinibatchDiscrimination(nn.Module):
    """Append o(x_i)_b = sum_{j != i} exp(-||M_i,b - M_j,b||_L1) + bias_b, b = 1..B, to f(x_i)."""

    def __init__(self, in_features: int, kernels: int, kernel_dim: int):
        super().__init__()
        self.kernels, self.kernel_dim = kernels, kernel_dim
        self.T = nn.Parameter(torch.empty(in_features, kernels, kernel_dim))  # the tensor T (A x B x C)
        self.log_scale = nn.Parameter(torch.zeros(kernels, kernel_dim))  # authors' code: T is weight-normalised
        self.bias = nn.Parameter(torch.full((kernels,), -1.0))  # authors' code

    @property
    def out_features(self) -> int:
        return self.T.shape[0] + self.kernels

    def forward(self, f: Tensor) -> Tensor:  # (N, A) -> (N, A + B)
        t = self.T * (self.log_scale.exp() / self.T.pow(2).sum(dim=0).sqrt())  # (A, B, C)
        m = torch.einsum("na,abc->nbc", f, t)  # M_i: (N, B, C)
        l1 = (m.unsqueeze(0) - m.unsqueeze(1)).abs().sum(dim=3)  # (N, N, B): ||M_i,b - M_j,b||_L1
        self_pairs = torch.eye(f.shape[0], device=f.device, dtype=f.dtype).unsqueeze(2)  # (N, N, 1)
        o = torch.exp(-l1 - 1e6 * self_pairs).sum(dim=1) + self.bias  # (N, B), excluding j = i
        return torch.cat([f, o], dim=1)


# --- the two networks ----------------------------------------------------------------------------


class Generator(nn.Module):
    def __init__(self, cfg: ImprovedGANConfig):
        super().__init__()
        widths, s, k = cfg.generator_widths, cfg.start_size, cfg.generator_kernel
        self.shape = (widths[0], s, s)
        units = widths[0] * s * s
        self.project = nn.Sequential(
            nn.Linear(cfg.z_dim, units, bias=False), ShiftBatchNorm(units, spatial=False), nn.ReLU()
        )
        layers: list[nn.Module] = []
        for c_in, c_out in zip(widths, widths[1:]):
            deconv = nn.ConvTranspose2d(c_in, c_out, k, stride=2, padding=k // 2, output_padding=1, bias=False)
            layers += [deconv, ShiftBatchNorm(c_out, spatial=True), nn.ReLU()]
        layers += [WNConvTranspose2d(widths[-1], cfg.channels, k), nn.Tanh()]
        self.convs = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:  # (B, 100) -> (B, 3, 32, 32)
        h = self.project(z).view(-1, *self.shape)  # (B, 512, 4, 4)
        return self.convs(h)


class Discriminator(nn.Module):
    """The K-logit classifier l(x); the generated class has logit 0. ``features`` gives f(x) too."""

    def __init__(self, cfg: ImprovedGANConfig):
        super().__init__()
        w1, w2 = cfg.discriminator_widths
        slope = cfg.leaky_slope

        def conv(c_in: int, c_out: int, k: int, stride: int = 1, padding: int = 0) -> list[nn.Module]:
            return [WNConv2d(c_in, c_out, k, stride, padding), nn.LeakyReLU(slope)]

        def three_convs(c_in: int, c_out: int) -> list[nn.Module]:  # (B, c_in, H, W) -> (B, c_out, H/2, W/2)
            return conv(c_in, c_out, 3, padding=1) + conv(c_out, c_out, 3, padding=1) + conv(c_out, c_out, 3, 2, 1)

        self.body = nn.Sequential(
            nn.Dropout(cfg.input_dropout),
            *three_convs(cfg.channels, w1),  # (B, 96, 16, 16)
            nn.Dropout(cfg.dropout),
            *three_convs(w1, w2),  # (B, 192, 8, 8)
            nn.Dropout(cfg.dropout),
            *conv(w2, w2, 3),  # (B, 192, 6, 6)
            *conv(w2, w2, 1),  # NIN
            *conv(w2, w2, 1),  # NIN
        )
        self.minibatch = None  # Section 3.2, off in the feature-matching model
        if cfg.minibatch_kernels:
            self.minibatch = MinibatchDiscrimination(w2, cfg.minibatch_kernels, cfg.minibatch_kernel_dim)
        d = self.minibatch.out_features if self.minibatch is not None else w2
        self.out = WNLinear(d, cfg.num_classes, train_scale=True)

    def features(self, x: Tensor) -> tuple[Tensor, Tensor]:  # (B, 3, 32, 32) -> logits (B, K), f(x) (B, 192)
        f = self.body(x).mean(dim=(2, 3))  # global mean pool
        h = self.minibatch(f) if self.minibatch is not None else f
        return self.out(h), f

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, 32, 32) -> (B, K) logits
        return self.features(x)[0]


def init_weights(module: nn.Module, std: float) -> None:
    """Authors' code: every weight (the direction v of a weight-normalised layer) from N(0, std)."""
    for m in module.modules():
        if isinstance(m, WeightNormed):
            nn.init.normal_(m.v, 0.0, std)
        elif isinstance(m, (nn.Linear, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, std)
        elif isinstance(m, MinibatchDiscrimination):
            nn.init.normal_(m.T, 0.0, std)


class ImprovedGAN(GANPair):
    """The pair; calling it samples images, ``classify`` is the semi-supervised classifier."""

    generator: Generator
    discriminator: Discriminator

    def __init__(self, cfg: ImprovedGANConfig):
        super().__init__(Generator(cfg), Discriminator(cfg))
        self.cfg = cfg
        init_weights(self, cfg.init_std)

    def classify(self, x: Tensor) -> Tensor:  # (B, C, H, W) -> (B,) class indices
        return self.discriminator(x).argmax(dim=1)


# --- the objectives --------------------------------------------------------------------------------


def supervised_loss(logits: Tensor, labels: Tensor) -> Tensor:
    """-log p(y | x, y < K + 1): the cross-entropy over the K class logits."""
    return F.cross_entropy(logits, labels)


def unsupervised_loss(real_logits: Tensor, fake_logits: Tensor, real_target: float = 1.0) -> Tensor:
    """Binary cross-entropy of D(x) = Z / (Z + 1) with target ``real_target`` for data, 0 for samples.

    With log D = lse - softplus(lse) and log(1 - D) = -softplus(lse), lse = log Z(x):
    real term -t log D - (1 - t) log(1 - D) = softplus(lse) - t * lse; fake term softplus(lse).
    Halved as in the authors' code.
    """
    lse_real = torch.logsumexp(real_logits, dim=1)  # (B,)
    lse_fake = torch.logsumexp(fake_logits, dim=1)  # (B,)
    real = F.softplus(lse_real) - real_target * lse_real
    return 0.5 * real.mean() + 0.5 * F.softplus(lse_fake).mean()


def feature_matching_loss(real_features: Tensor, fake_features: Tensor) -> Tensor:
    """|| E f(x) - E f(G(z)) ||_2^2 over the minibatch means."""
    return (real_features.mean(dim=0) - fake_features.mean(dim=0)).pow(2).sum()


class HistoricalAverage:
    """Section 3.3: || theta - (1/t) sum_{i=1..t} theta[i] ||^2 over the past values of one player's parameters."""

    def __init__(self, params) -> None:
        self.params = list(params)
        self.sums: list[Tensor] | None = None  # created on the parameters' device at the first update
        self.count = 0

    def penalty(self) -> Tensor:
        if self.sums is None:
            return self.params[0].new_zeros(())
        return sum(((p - s / self.count) ** 2).sum() for p, s in zip(self.params, self.sums))

    @torch.no_grad()
    def update(self) -> None:
        if self.sums is None:
            self.sums = [torch.zeros_like(p) for p in self.params]
        for s, p in zip(self.sums, self.params):
            s.add_(p)
        self.count += 1


# --- the smoke case --------------------------------------------------------------------------------

CIFAR10 = ImprovedGANConfig()
SMOKE = ImprovedGANConfig(
    z_dim=16,
    image_size=16,
    generator_widths=(16, 8),
    discriminator_widths=(8, 16),
    minibatch_kernels=4,
    minibatch_kernel_dim=3,
    historical_weight=0.01,
    real_target=0.9,
    batch_size=8,
)


def improved_gan_smoke(rng: torch.Generator) -> SmokeCase:
    """One D step on labelled, unlabelled and generated examples, then one feature-matching G step."""
    cfg = SMOKE
    gan = ImprovedGAN(cfg)
    g, d = gan.generator, gan.discriminator
    n, shape = cfg.batch_size, (cfg.channels, cfg.image_size, cfg.image_size)
    batch = {
        "labeled": tanh_images(rng, n, shape),  # (n, 3, H, W)
        "label": random_labels(rng, n, cfg.num_classes),  # (n,)
        "unlabeled": tanh_images(rng, n, shape),  # (n, 3, H, W), the discriminator's step
        "unlabeled_g": tanh_images(rng, n, shape),  # (n, 3, H, W), feature matching
        "z_discriminator": torch.rand(n, cfg.z_dim, generator=rng),  # (n, z_dim), U(0, 1)
        "z_generator": torch.rand(n, cfg.z_dim, generator=rng),  # (n, z_dim)
    }
    opt_d = torch.optim.Adam(d.parameters(), lr=cfg.lr, betas=cfg.betas)
    opt_g = torch.optim.Adam(g.parameters(), lr=cfg.lr, betas=cfg.betas)
    history_d = HistoricalAverage(d.parameters())
    history_g = HistoricalAverage(g.parameters())

    def step(b: dict[str, Tensor]) -> Losses:
        g.train()
        d.train()
        # discriminator: L_supervised + w * L_unsupervised (+ historical averaging)
        opt_d.zero_grad(set_to_none=True)
        with torch.no_grad():
            fake = g(b["z_discriminator"])  # (n, 3, H, W)
        loss_lab = supervised_loss(d(b["labeled"]), b["label"])
        loss_unl = unsupervised_loss(d(b["unlabeled"]), d(fake), cfg.real_target)
        d_loss = loss_lab + cfg.unlabeled_weight * loss_unl
        (d_loss + cfg.historical_weight * history_d.penalty()).backward()
        opt_d.step()
        history_d.update()
        # generator: feature matching on f(x) (+ historical averaging)
        opt_g.zero_grad(set_to_none=True)
        with torch.no_grad():
            _, f_real = d.features(b["unlabeled_g"])  # (n, A)
        _, f_fake = d.features(g(b["z_generator"]))  # (n, A)
        g_loss = feature_matching_loss(f_real, f_fake)
        (g_loss + cfg.historical_weight * history_g.penalty()).backward()
        opt_g.step()
        history_g.update()
        return {
            "d_loss": d_loss.detach(),
            "supervised": loss_lab.detach(),
            "unsupervised": loss_unl.detach(),
            "g_loss": g_loss.detach(),
        }

    # scores: the K class logits l(x) of the labelled examples
    return gan_case(
        g,
        d,
        batch,
        step,
        generator_inputs=("z_generator",),
        discriminator_inputs=("labeled",),
        scores_shape=(n, cfg.num_classes),
    )


@register_model(entry="improved-gan", smoke=improved_gan_smoke, input_shape=(100,))
def improved_gan_cifar10() -> ImprovedGAN:
    return ImprovedGAN(CIFAR10)
