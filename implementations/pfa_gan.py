"""PFA-GAN, from "PFA-GAN: Progressive Face Aging with Generative Adversarial Network" (Huang, Chen,
Zhang and Shan, 2020; IEEE TIFS 2021).

Paper: https://arxiv.org/abs/2012.03459 — catalogue entry ``pfa-gan``.

Faces age gradually, so the generator ages a face step by step. The ages are split into N groups
(N = 4: up to 30, 31-40, 41-50, over 50) and the generator is a chain of N - 1 sub-networks G_i,
each of which learns only the change between group i and group i + 1. A face of source group s is
aged to target group t > s by the residual chain

    X_{i+1} = X_i + lambda_i * G_i(X_i),   i = 0 .. N - 2,   X_0 = X_s (the input face)
    lambda_i = 1 if s <= i < t else 0      (the binary age-transition code)

so the sub-networks before s and from t on are skipped (their output is multiplied by 0), and the
whole chain is trained end to end.

Every layer shape below is that of the authors' code (github.com/Hzzone/PFA-GAN, ``networks.py`` and
``models.py``), which settles what we could not read in the paper text itself. Sub-network G_i
(instance normalisation without affine parameters after every convolution but the last, LeakyReLU
0.2), for 256x256 faces:

    (B, 3, 256, 256)
    9x9 conv, 32                         -> (B, 32, 256, 256)
    4x4 conv, stride 2, 64               -> (B, 64, 128, 128)
    4x4 conv, stride 2, 128              -> (B, 128, 64, 64)
    4 residual blocks, 128               -> (B, 128, 64, 64)    LReLU(x + IN(conv(LReLU(IN(conv(x))))))
    4x4 transposed conv, stride 2, 64    -> (B, 64, 128, 128)
    4x4 transposed conv, stride 2, 32    -> (B, 32, 256, 256)
    9x9 conv, 3 (no normalisation)       -> (B, 3, 256, 256)    the aging effects G_i(X_i)

Age-conditioned PatchGAN discriminator with spectral normalisation (all but its first and last
convolutions), the target group given as a one-hot map concatenated after the first layer:

    (B, 3, 256, 256)
    4x4 conv, stride 2, 64, LReLU                    -> (B, 64, 128, 128)
    concat one-hot age group, broadcast over space   -> (B, 68, 128, 128)
    4x4 conv, stride 2, 128, SN, LReLU               -> (B, 128, 64, 64)
    4x4 conv, stride 2, 256, SN, LReLU               -> (B, 256, 32, 32)
    4x4 conv, stride 2, 512, SN, LReLU               -> (B, 512, 16, 16)
    4x4 conv, stride 1, 512, SN, LReLU               -> (B, 512, 15, 15)
    4x4 conv, stride 1, 1                            -> (B, 1, 14, 14)     one least-squares score per patch

(the number of stride-2 SN layers is log2(image side) - 4 - 1 = 3 at 256x256.)

Losses of the generator, on a source face x of group s aged to G(x) of target group t:

* adversarial, least squares: L_adv = 1/2 E[(D(G(x), t) - 1)^2]; the discriminator minimises
  1/2 (E[(D(y, g_y) - 1)^2] + E[D(G(x), t)^2]) on real faces y of group g_y;
* age estimation: a pretrained, frozen age estimator A (DEX-style: 101 age bins and a linear
  group head on top) must find the target age: L_age = (E_softmax[age] - a_t)^2 + CE(group head, t),
  where a_t is the mean age of the target group; its whole predicted distribution is used;
* identity: L_id = || phi(G(x)) - phi(x) ||^2, phi = a frozen face-recognition network (VGG-Face,
  conv1_1 to relu4_3), on images mapped back to [0, 255] minus the VGG-Face mean;
* pixel: L_pix = (1 - alpha) ||G(x) - x||_1 + alpha (1 - SSIM(G(x), x)) (Gaussian window 10, sigma 1.5);

    L_G = w_adv L_adv + w_pix(k) L_pix + w_id L_id + w_age L_age

where the authors' code keeps w_pix(k) = max(w_pix, w_adv * f^(k // n)) at iteration k (f = 0, n = 2000:
the pixel loss weighs as much as the adversarial one for the first 2,000 iterations).

Training (authors' code): Adam, learning rate 1e-4, betas (0.5, 0.99), for both networks; batches of
12 per GPU on 4 GPUs, 200,000 iterations; convolution weights from N(0, 0.02) in the generator; one
discriminator step, then one generator step on the same generated batch.

Deviations from the paper are listed once, in the entry ``pfa-gan`` (catalog/generative/pfa-gan.yaml).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.init import normal_init_
from implementations.kit.smoke import Losses, SmokeCase, random_images
from implementations.registry import register_model


@dataclass(frozen=True)
class PFAGANConfig:
    image_size: int = 256  # authors' code: --image_size 256
    channels: int = 3
    age_groups: int = 4  # four groups: <= 30, 31-40, 41-50, > 50 (authors' code, age2group)
    group_bounds: tuple[int, ...] = (30, 40, 50)  # an age above bound i belongs to group i + 1
    widths: tuple[int, int, int] = (32, 64, 128)  # sub-network: 9x9 conv, then two stride-2 convs (authors' code)
    residual_blocks: int = 4  # sub-network: repeat_num = 4 residual blocks at 128 channels
    edge_kernel: int = 9  # first and last convolutions of a sub-network are 9x9
    disc_width: int = 64  # discriminator: conv_dim = 64, doubling up to 8x
    leaky_slope: float = 0.2  # LeakyReLU in every network
    init_std: float = 0.02  # generator convolutions from N(0, 0.02), biases 0 (weights_init)
    ages: int = 101  # age estimator: one bin per age 0..100 (DEX-style expectation)
    estimator_width: int = 64  # age estimator: conv_dim = 64
    identity_widths: tuple[int, ...] = (64, 128, 256, 512)  # VGG-Face conv1..conv4 (VGG-16 features[:23])
    identity_convs: tuple[int, ...] = (2, 2, 3, 3)  # convolutions per VGG stage
    vgg_mean: tuple[float, float, float] = (129.1863, 104.7624, 93.5940)  # VGG-Face RGB mean (authors' code)
    ssim_window: int = 10  # authors' code: compute_ssim_loss(..., window_size=10)
    ssim_sigma: float = 1.5
    adv_weight: float = 100.0  # ASSUMED (unofficial re-implementation); the paper/code give none we could read
    age_weight: float = 0.4  # ASSUMED, as above
    pix_weight: float = 0.02  # ASSUMED, as above
    ssim_alpha: float = 0.15  # ASSUMED, as above: share of the SSIM term in the pixel loss
    id_weight: float = 0.0005  # ASSUMED, as above (0.025 x 0.02)
    decay_pix_factor: float = 0.0  # authors' code default: w_pix(k) = max(w_pix, w_adv * f^(k // n))
    decay_pix_every: int = 2000  # authors' code default (n above)
    lr: float = 1e-4  # authors' code: --init_lr 1e-4
    betas: tuple[float, float] = (0.5, 0.99)  # authors' code, both optimisers
    batch_size: int = 12  # authors' code: 12 per GPU, 4 GPUs

    @property
    def disc_downsamplings(self) -> int:
        """Stride-2 layers of the discriminator: repeat_num = log2(side) - 4 (4 at 256x256), the first included."""
        return int(math.log2(self.image_size)) - 4


# --- the age-transition code ----------------------------------------------------------------------


def transition_code(source: Tensor, target: Tensor, age_groups: int) -> Tensor:
    """lambda_i = 1 if source <= i < target else 0, for i = 0 .. N - 2: (B,), (B,) -> (B, N - 1, 1, 1, 1)."""
    i = torch.arange(age_groups - 1, device=source.device)  # (N - 1,)
    code = (source[:, None] <= i) & (i < target[:, None])  # (B, N - 1)
    return code.float()[..., None, None, None]


def age_to_group(age: Tensor, bounds: tuple[int, ...]) -> Tensor:
    """The age group of each age: (B,) float -> (B,) long."""
    return torch.bucketize(age, torch.tensor(bounds, dtype=age.dtype, device=age.device), right=False)


# --- the generator: a chain of sub-networks ------------------------------------------------------


def conv_in(conv: nn.Module, c_out: int) -> nn.Sequential:
    """A convolution followed by instance normalisation without learnt scale or shift."""
    return nn.Sequential(conv, nn.InstanceNorm2d(c_out))


class ResidualBlock(nn.Module):
    """(B, C, H, W) -> (B, C, H, W): LReLU(x + IN(conv3(LReLU(IN(conv3(x))))))."""

    def __init__(self, width: int, slope: float):
        super().__init__()
        self.slope = slope
        self.body = nn.Sequential(
            conv_in(nn.Conv2d(width, width, 3, 1, 1), width),
            nn.LeakyReLU(slope),
            conv_in(nn.Conv2d(width, width, 3, 1, 1), width),
        )

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x + self.body(x), self.slope)


class SubNetwork(nn.Module):
    """G_i: the aging effects between group i and group i + 1, (B, 3, H, W) -> (B, 3, H, W)."""

    def __init__(self, cfg: PFAGANConfig):
        super().__init__()
        w1, w2, w3 = cfg.widths
        k, act = cfg.edge_kernel, (lambda: nn.LeakyReLU(cfg.leaky_slope))
        self.body = nn.Sequential(
            conv_in(nn.Conv2d(cfg.channels, w1, k, 1, k // 2), w1),
            act(),  # (B, 32, H, W)
            conv_in(nn.Conv2d(w1, w2, 4, 2, 1), w2),
            act(),  # (B, 64, H/2, W/2)
            conv_in(nn.Conv2d(w2, w3, 4, 2, 1), w3),
            act(),  # (B, 128, H/4, W/4)
            *[ResidualBlock(w3, cfg.leaky_slope) for _ in range(cfg.residual_blocks)],  # (B, 128, H/4, W/4)
            conv_in(nn.ConvTranspose2d(w3, w2, 4, 2, 1), w2),
            act(),  # (B, 64, H/2, W/2)
            conv_in(nn.ConvTranspose2d(w2, w1, 4, 2, 1), w1),
            act(),  # (B, 32, H, W)
            nn.Conv2d(w1, cfg.channels, k, 1, k // 2),  # (B, 3, H, W), no normalisation, no tanh
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.body(x)


class ProgressiveGenerator(nn.Module):
    """X_{i+1} = X_i + lambda_i G_i(X_i) over the N - 1 sub-networks."""

    def __init__(self, cfg: PFAGANConfig):
        super().__init__()
        self.age_groups = cfg.age_groups
        self.stages = nn.ModuleList(SubNetwork(cfg) for _ in range(cfg.age_groups - 1))

    def forward(self, x: Tensor, source: Tensor, target: Tensor) -> Tensor:  # (B, 3, H, W), (B,), (B,)
        code = transition_code(source, target, self.age_groups)  # (B, N - 1, 1, 1, 1)
        for i, stage in enumerate(self.stages):
            x = x + code[:, i] * stage(x)  # a skipped stage adds nothing
        return x


# --- the discriminator ---------------------------------------------------------------------------


class AgeConditionedPatchDiscriminator(nn.Module):
    """(B, 3, H, W), group (B,) -> patch scores (B, 1, h, w); the group enters as one-hot maps after conv1."""

    def __init__(self, cfg: PFAGANConfig):
        super().__init__()
        sn, w, slope = nn.utils.spectral_norm, cfg.disc_width, cfg.leaky_slope
        self.age_groups = cfg.age_groups
        self.slope = slope
        self.conv1 = nn.Conv2d(cfg.channels, w, 4, 2, 1)  # (B, 64, H/2, W/2), no spectral norm
        layers: list[nn.Module] = []
        c_in = w + cfg.age_groups  # one-hot group maps concatenated
        for n in range(1, cfg.disc_downsamplings):  # stride-2 layers, widths 128, 256, 512 (at most 8x)
            c_out = w * min(2**n, 8)
            layers += [sn(nn.Conv2d(c_in, c_out, 4, 2, 1)), nn.LeakyReLU(slope)]
            c_in = c_out
        c_out = w * min(2**cfg.disc_downsamplings, 8)
        layers += [
            sn(nn.Conv2d(c_in, c_out, 4, 1, 1)),
            nn.LeakyReLU(slope),  # stride 1: side - 1
            nn.Conv2d(c_out, 1, 4, 1, 1),  # stride 1: side - 1; one score per patch
        ]
        self.body = nn.Sequential(*layers)

    def forward(self, x: Tensor, group: Tensor) -> Tensor:
        h = F.leaky_relu(self.conv1(x), self.slope)  # (B, 64, H/2, W/2)
        onehot = F.one_hot(group, self.age_groups).to(h.dtype)[..., None, None]  # (B, N, 1, 1)
        h = torch.cat([h, onehot.expand(-1, -1, *h.shape[2:])], dim=1)  # (B, 64 + N, H/2, W/2)
        return self.body(h)


# --- the frozen loss networks --------------------------------------------------------------------


class AgeEstimator(nn.Module):
    """A DEX-style age classifier: (B, 3, H, W) -> age logits (B, 101), group logits (B, N).

    Conv-BN-ReLU with stride 2 down to 4x4 (widths 64, 128, 256, 512, 512, 512 at 256x256), a linear
    layer to the 101 ages and a linear group head on the age logits (authors' AuxiliaryAgeClassifier).
    """

    def __init__(self, cfg: PFAGANConfig):
        super().__init__()
        w = cfg.estimator_width
        widths = [w * min(2**n, 8) for n in range(int(math.log2(cfg.image_size)) - 2)]
        layers: list[nn.Module] = []
        c_in = cfg.channels
        for c_out in widths:  # each halves the side, down to 4x4
            layers += [nn.Conv2d(c_in, c_out, 4, 2, 1), nn.BatchNorm2d(c_out), nn.ReLU()]
            c_in = c_out
        self.features = nn.Sequential(*layers, nn.Flatten())  # (B, C * 16)
        self.ages = nn.Linear(c_in * 16, cfg.ages)
        self.groups = nn.Linear(cfg.ages, cfg.age_groups)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        age_logits = self.ages(self.features(F.hardtanh(x)))  # (B, 101)
        return age_logits, self.groups(age_logits)  # (B, 101), (B, N)


class IdentityFeatures(nn.Module):
    """VGG-Face up to relu4_3: (B, 3, H, W) in [-1, 1] -> (B, 512, H/8, W/8) face features."""

    def __init__(self, cfg: PFAGANConfig):
        super().__init__()
        layers: list[nn.Module] = []
        c_in = cfg.channels
        for s, (width, convs) in enumerate(zip(cfg.identity_widths, cfg.identity_convs)):
            if s > 0:
                layers.append(nn.MaxPool2d(2))
            for _ in range(convs):
                layers += [nn.Conv2d(c_in, width, 3, 1, 1), nn.ReLU()]
                c_in = width
        self.features = nn.Sequential(*layers)
        self.register_buffer("mean", torch.tensor(cfg.vgg_mean).view(1, -1, 1, 1), persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        pixels = (F.hardtanh(x) * 0.5 + 0.5) * 255 - self.mean  # VGG-Face input: [0, 255] minus the mean
        return self.features(pixels)


def frozen(module: nn.Module) -> nn.Module:
    """A pretrained loss network is never updated: eval mode, no gradients into its weights."""
    module.eval()
    return module.requires_grad_(False)


# --- the losses -----------------------------------------------------------------------------------


def least_squares(scores: Tensor, target: float) -> Tensor:
    return ((scores - target) ** 2).mean()


def ssim_loss(a: Tensor, b: Tensor, window: int, sigma: float) -> Tensor:
    """1 - mean SSIM with a Gaussian window, per channel: two (B, C, H, W) images -> scalar."""
    x = torch.arange(window, dtype=a.dtype, device=a.device) - window // 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    g = g / g.sum()
    kernel = (g[:, None] * g[None, :]).expand(a.shape[1], 1, window, window)  # (C, 1, k, k)

    def blur(t: Tensor) -> Tensor:
        return F.conv2d(t, kernel, padding=window // 2, groups=a.shape[1])

    mu_a, mu_b = blur(a), blur(b)
    var_a, var_b = blur(a * a) - mu_a**2, blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    c1, c2 = 0.01**2, 0.03**2
    ssim = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return 1 - ssim.mean()


def age_loss(estimator: AgeEstimator, image: Tensor, target_age: Tensor, bounds: tuple[int, ...]) -> Tensor:
    """(E_softmax[age] - a_t)^2 + CE(group logits, group of a_t): the whole predicted distribution counts."""
    age_logits, group_logits = estimator(image)
    bins = torch.arange(age_logits.shape[1], dtype=image.dtype, device=image.device)
    expected = (age_logits.softmax(dim=1) * bins).sum(dim=1)  # (B,)
    return F.mse_loss(expected, target_age) + F.cross_entropy(group_logits, age_to_group(target_age, bounds))


def pixel_weight(cfg: PFAGANConfig, iteration: int) -> float:
    """w_pix(k) = max(w_pix, w_adv * f^(k // n)), iterations counted from 1 (authors' code)."""
    return max(cfg.pix_weight, cfg.adv_weight * cfg.decay_pix_factor ** (iteration // cfg.decay_pix_every))


# --- the model -----------------------------------------------------------------------------------


class PFAGAN(nn.Module):
    """The generator chain and the age-conditioned discriminator; calling it ages faces."""

    def __init__(self, cfg: PFAGANConfig):
        super().__init__()
        self.cfg = cfg
        self.generator = ProgressiveGenerator(cfg)
        self.discriminator = AgeConditionedPatchDiscriminator(cfg)
        # the authors' weights_init, on the generator: convolution weights from N(0, std), biases 0
        normal_init_(self.generator, cfg.init_std, layers=(nn.Conv2d, nn.ConvTranspose2d))

    def forward(self, x: Tensor, source: Tensor | None = None, target: Tensor | None = None) -> Tensor:
        """(B, 3, H, W) -> (B, 3, H, W); by default from the youngest group to the oldest (every stage)."""
        if source is None:
            source = torch.zeros(x.shape[0], dtype=torch.long, device=x.device)
        if target is None:
            target = torch.full((x.shape[0],), self.cfg.age_groups - 1, dtype=torch.long, device=x.device)
        return self.generator(x, source, target)


# --- the smoke case ------------------------------------------------------------------------------


SMOKE = PFAGANConfig(
    image_size=64,
    widths=(8, 16, 32),
    residual_blocks=2,
    disc_width=8,
    estimator_width=4,
    identity_widths=(4, 8, 8, 16),
    batch_size=4,
)


def pfa_gan_smoke(rng: torch.Generator) -> SmokeCase:
    """One discriminator step, then one generator step on the same aged batch (authors' training loop)."""
    cfg = SMOKE
    model = PFAGAN(cfg)
    g, d = model.generator, model.discriminator
    estimator, identity = frozen(AgeEstimator(cfg)), frozen(IdentityFeatures(cfg))
    b, side, n = cfg.batch_size, cfg.image_size, cfg.age_groups
    # source group s in 0..N-2 and a later target t in s+1..N-1; the first face goes from 0 to N-1 so
    # that every sub-network is on at least once
    source = torch.randint(0, n - 1, (b,), generator=rng)
    target = source + 1 + (torch.rand(b, generator=rng) * (n - 1 - source)).long()
    source[0], target[0] = 0, n - 1
    lows = torch.tensor((0, *cfg.group_bounds), dtype=torch.float) + 1  # youngest age of each group
    highs = torch.tensor((*cfg.group_bounds, 70), dtype=torch.float)  # oldest (70: the smoke's cap)
    target_age = lows[target] + torch.rand(b, generator=rng) * (highs[target] - lows[target])
    batch = {
        "source_img": torch.tanh(random_images(rng, b, (cfg.channels, side, side))),  # (B, 3, H, W)
        "source": source,  # (B,)
        "target": target,  # (B,)
        "target_age": target_age,  # (B,) stands for the mean age of the target group in the data set
        "real": torch.tanh(random_images(rng, b, (cfg.channels, side, side))),  # (B, 3, H, W) real faces
        "real_group": torch.randint(0, n, (b,), generator=rng),  # (B,) their groups
    }
    opt_g = torch.optim.Adam(g.parameters(), lr=cfg.lr, betas=cfg.betas)
    opt_d = torch.optim.Adam(d.parameters(), lr=cfg.lr, betas=cfg.betas)
    iteration = [0]

    def step(bt: dict[str, Tensor]) -> Losses:
        iteration[0] += 1
        g.train()
        d.train()
        x = bt["source_img"]
        aged = g(x, bt["source"], bt["target"])  # (B, 3, H, W)
        # discriminator: real faces with their groups against aged faces with the target groups
        opt_d.zero_grad(set_to_none=True)
        d_real = least_squares(d(bt["real"], bt["real_group"]), 1.0)
        d_fake = least_squares(d(aged.detach(), bt["target"]), 0.0)
        d_loss = 0.5 * (d_real + d_fake)
        d_loss.backward()
        opt_d.step()
        # generator: fool D, reach the target age, keep identity and pixels
        opt_g.zero_grad(set_to_none=True)
        adv = 0.5 * least_squares(d(aged, bt["target"]), 1.0)
        age = age_loss(estimator, aged, bt["target_age"], cfg.group_bounds)
        ssim = ssim_loss(aged, x, cfg.ssim_window, cfg.ssim_sigma)
        pix = (1 - cfg.ssim_alpha) * F.l1_loss(aged, x) + cfg.ssim_alpha * ssim
        ident = F.mse_loss(identity(aged), identity(x))
        w_pix = pixel_weight(cfg, iteration[0])
        g_loss = cfg.adv_weight * adv + w_pix * pix + cfg.id_weight * ident + cfg.age_weight * age
        g_loss.backward()
        opt_g.step()
        return {
            "d_loss": d_loss.detach(),
            "g_loss": g_loss.detach(),
            "adversarial": adv.detach(),
            "age": age.detach(),
            "pixel": pix.detach(),
            "identity": ident.detach(),
        }

    def outputs(bt: dict[str, Tensor]) -> dict[str, Tensor]:
        return {
            "aged": g(bt["source_img"], bt["source"], bt["target"]),
            "patch_scores": d(bt["real"], bt["real_group"]),
        }

    patches = side // 2**cfg.disc_downsamplings - 2  # stride-2 layers, then two 4x4 stride-1 ones with padding 1
    return SmokeCase(
        networks={"generator": g, "discriminator": d, "age_estimator": estimator, "identity": identity},
        batch=batch,
        step=step,
        outputs=outputs,
        output_shapes={"aged": (b, cfg.channels, side, side), "patch_scores": (b, 1, patches, patches)},
        monitor="d_loss",
        notes=["age estimator and identity network are frozen with random weights (pretrained in the paper)"],
    )


PAPER = PFAGANConfig()


@register_model(entry="pfa-gan", smoke=pfa_gan_smoke, input_shape=(3, 256, 256))
def pfa_gan_generator() -> PFAGAN:
    return PFAGAN(PAPER)
