"""TopoGAN, from "TopoGAN: A Topology-Aware Generative Adversarial Network" (Wang, Liu, Samaras and
Chen, ECCV 2020).

Paper: https://www.ecva.net/papers/eccv_2020/papers_ECCV/papers/123480120.pdf (no arXiv version) —
catalogue entry ``topogan``.

A GAN on images whose meaning is their structure (membranes, vessels, roads) should reproduce the
real images' connectedness and loops, not just their local texture. TopoGAN adds to the generator's
objective a *topological loss* that compares generated and real images in the space of persistence
diagrams:

* Each image f is summarised by the persistence diagram Dgm(f) of its superlevel-set filtration
  {f >= t}, t sweeping from high to low: a loop (1-dimensional class) is *born* at the value of the
  pixel that closes it and *dies* at the value of the pixel that fills its hole; a connected
  component (0-dimensional class) is born at a local maximum and dies where it merges into an
  older one. Every dot (birth, death) of the diagram is tied to two *critical pixels*, so its
  coordinates are pixel values of the image and differentiable in the generator's weights.
* The diagrams of a generated batch {Dgm(G(z_i))} and of real images {Dgm(x_j)} are matched as two
  point sets by optimal transport with the Wasserstein distance between diagrams as ground cost,
  and the loss is the sum of the distances between matched diagrams:

      L_topo = min_sigma sum_i W(Dgm(G(z_i)), Dgm(x_sigma(i)))

  The gradient moves each generated dot towards the dot it is matched to (or onto the diagonal,
  which removes the feature) by changing the values of its two critical pixels.

The total generator loss is the adversarial one plus lambda_topo * L_topo.

Persistent homology is computed here by hand on the pixel grid (the paper uses a compiled cubical
complex library). Pixels are the vertices of a cubical complex with 4-neighbour edges and filled
2x2 squares:

* 0-dimensional: union-find over pixels entered in decreasing value, 4-connectivity; when two
  components meet, the younger one (the lower maximum) dies at the merging pixel (the elder rule).
* 1-dimensional, by Alexander duality: a hole of {f >= t} is a bounded 8-connected component of the
  complement {f < t}. Union-find over pixels entered in *increasing* value, 8-connectivity, with the
  image border joined to an "outside" component that never dies; a background component born at a
  local minimum m and absorbed at pixel s is a loop of the foreground born at f(s) and dead at f(m).

Networks (the released code's defaults, ``Archpool.ipynb`` architectures 2 and 3: DCGAN-style,
grayscale 64x64, no biases), z ~ N(0, I)^128:

    generator:
      z viewed as (B, 128, 1, 1); 4x4 transposed conv 128 -> 512, BN, ReLU  -> (B, 512, 4, 4)
      4x4 stride-2 transposed conv 512 -> 256, BN, ReLU                      -> (B, 256, 8, 8)
      4x4 stride-2 transposed conv 256 -> 128, BN, ReLU                      -> (B, 128, 16, 16)
      4x4 stride-2 transposed conv 128 -> 64, BN, ReLU                       -> (B, 64, 32, 32)
      4x4 stride-2 transposed conv 64 -> 1, tanh                             -> (B, 1, 64, 64)
    critic (no normalisation, as WGAN-GP requires):
      4x4 stride-2 convs 1 -> 64 -> 128 -> 256 -> 512, LeakyReLU 0.2        -> (B, 512, 4, 4)
      4x4 conv 512 -> 1                                                      -> (B,)

Training (the released code, ``Archpool.ipynb`` and ``GAN.ipynb``): WGAN-GP objective with
n_critic = 5 and gradient-penalty weight 10, Adam with lr 2e-4 and betas (0.5, 0.999) for both
networks, batches of 128, weights from N(0, 0.02) and BN scales from N(1, 0.02), topological loss
on 1-dimensional features (loops) with weight 0.0005, summed over the batch.

Deviations from the paper are listed once, in the entry ``topogan`` (catalog/generative/topogan.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import torch
from torch import Tensor, nn

from implementations.kit.adversarial import (
    gan_case,
    gradient_penalty,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)
from implementations.kit.init import CONVOLUTIONS, normal_init_
from implementations.kit.smoke import Losses, SmokeCase
from implementations.registry import register_model


@dataclass(frozen=True)
class TopoGANConfig:
    z_dim: int = 128  # Archpool arch 2: input (128, 1, 1)
    channels: int = 1  # grayscale structure images (arch 2/3)
    generator_widths: tuple[int, ...] = (512, 256, 128, 64)  # arch 2: after the 4x4 projection, then each 2x upsampling
    critic_widths: tuple[int, ...] = (64, 128, 256, 512)  # arch 3: each 2x downsampling
    kernel_size: int = 4  # arch 2/3: 4x4 kernels, stride 2, padding 1
    leaky_slope: float = 0.2  # arch 3
    init_std: float = 0.02  # Net.init_weights: N(0, 0.02)
    lr: float = 2e-4  # Archpool return_general
    betas: tuple[float, float] = (0.5, 0.999)  # Archpool return_general
    n_critic: int = 5  # Archpool advanced_params["wgangp"]
    gp_weight: float = 10.0  # Archpool advanced_params["wgangp"]
    topo_weight: float = 5e-4  # Archpool Topo_edge topology_loss_weight
    dimensions: tuple[int, ...] = (1,)  # README: target_topo_dimension 1 (cycles) in most cases
    max_points: int | None = None  # keep only the most persistent dots of each diagram (None: all)
    batch_size: int = 128  # Archpool data settings

    @property
    def image_size(self) -> int:
        """4x4 after the projection, doubled by each further transposed convolution."""
        return 4 * 2 ** len(self.generator_widths)


# --- networks ------------------------------------------------------------------------------------


class Generator(nn.Module):
    def __init__(self, cfg: TopoGANConfig):
        super().__init__()
        k, widths = cfg.kernel_size, cfg.generator_widths
        layers: list[nn.Module] = [  # project: (B, z, 1, 1) -> (B, w0, 4, 4)
            nn.ConvTranspose2d(cfg.z_dim, widths[0], k, 1, 0, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(),
        ]
        for c_in, c_out in zip(widths, widths[1:]):  # (H, W) -> (2H, 2W)
            layers += [nn.ConvTranspose2d(c_in, c_out, k, 2, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]
        layers += [nn.ConvTranspose2d(widths[-1], cfg.channels, k, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:  # (B, z_dim) -> (B, C, H, W) in [-1, 1]
        return self.main(z[:, :, None, None])


class Critic(nn.Module):
    def __init__(self, cfg: TopoGANConfig):
        super().__init__()
        k, layers, c_in = cfg.kernel_size, [], cfg.channels
        for c_out in cfg.critic_widths:  # (H, W) -> (H/2, W/2), no normalisation
            layers += [nn.Conv2d(c_in, c_out, k, 2, 1, bias=False), nn.LeakyReLU(cfg.leaky_slope)]
            c_in = c_out
        layers.append(nn.Conv2d(c_in, 1, k, 1, 0, bias=False))  # (B, 512, 4, 4) -> (B, 1, 1, 1)
        self.main = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:  # (B, C, H, W) -> (B,) scores
        return self.main(x).flatten()


class TopoGAN(nn.Module):
    """The pair; calling it samples images from latent vectors (the generator)."""

    def __init__(self, cfg: TopoGANConfig):
        super().__init__()
        self.cfg = cfg
        self.generator = Generator(cfg)
        self.critic = Critic(cfg)
        # released code: conv weights N(0, std), biases kept; BN scales N(1, std), shifts 0
        normal_init_(self, cfg.init_std, layers=CONVOLUTIONS, zero_bias=False, batch_norm="normal")

    def forward(self, z: Tensor) -> Tensor:  # (B, z_dim) -> (B, C, H, W)
        return self.generator(z)


# --- persistent homology of an image, by hand ------------------------------------------------------


@lru_cache(maxsize=16)
def grid_neighbours(h: int, w: int, diagonal: bool) -> tuple[tuple[int, ...], ...]:
    """For each pixel (row-major index) its 4-neighbours, or 8-neighbours when ``diagonal``."""
    steps = [(-1, 0), (1, 0), (0, -1), (0, 1)] + ([(-1, -1), (-1, 1), (1, -1), (1, 1)] if diagonal else [])
    return tuple(
        tuple((r + dr) * w + (c + dc) for dr, dc in steps if 0 <= r + dr < h and 0 <= c + dc < w)
        for r in range(h)
        for c in range(w)
    )


def elder_pairs(
    order: list[int], neighbours: tuple[tuple[int, ...], ...], border: list[bool] | None
) -> list[tuple[int, int]]:
    """Union-find over pixels entering in ``order``: (birth pixel, death pixel) of every component that dies.

    A component is represented by its oldest pixel (its birth). When a new pixel touches several
    components they merge into the oldest and the others die at this pixel (the elder rule). With
    ``border``, border pixels also touch an outside component older than every pixel.
    """
    n = len(order)
    outside = n
    parent = list(range(n + 1))
    rank = [n + 1] * n + [-1]  # entry position; n + 1 = not entered yet, -1 = the outside

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    pairs = []
    for position, p in enumerate(order):
        rank[p] = position
        roots = {find(q) for q in neighbours[p] if rank[q] <= n}
        if border is not None and border[p]:
            roots.add(outside)
        if not roots:
            continue  # a new component is born at p
        oldest = min(roots, key=lambda r: rank[r])
        parent[p] = oldest
        for root in sorted(roots):
            if root != oldest:
                parent[root] = oldest
                pairs.append((root, p))  # the younger component, born at `root`, dies at p
    return pairs


def critical_pixels(image: Tensor, dimension: int) -> Tensor:
    """(K, 2) indices of the (birth, death) pixels of the superlevel filtration's finite dots.

    ``image`` is (H, W); each dot is (image[birth], image[death]) with birth >= death.
    """
    h, w = image.shape
    flat = image.detach().flatten().cpu()
    if dimension == 0:  # components of {f >= t}: enter in decreasing value, 4-connected
        order = torch.argsort(flat, descending=True, stable=True).tolist()
        pairs = elder_pairs(order, grid_neighbours(h, w, False), None)  # (local max, merge pixel)
    elif dimension == 1:  # holes of {f >= t}: components of {f < t}, 8-connected, border = outside
        order = torch.argsort(flat, stable=True).tolist()
        border = [r in (0, h - 1) or c in (0, w - 1) for r in range(h) for c in range(w)]
        pairs = [(s, m) for m, s in elder_pairs(order, grid_neighbours(h, w, True), border)]  # (closing, filling)
    else:
        raise ValueError(f"a 2-D image has persistence in dimensions 0 and 1, not {dimension}")
    values = flat.tolist()
    pairs = [(b, d) for b, d in pairs if values[b] != values[d]]  # dots on the diagonal carry nothing
    return torch.tensor(pairs, dtype=torch.long).reshape(-1, 2)


def persistence_diagram(image: Tensor, dimension: int, max_points: int | None = None) -> Tensor:
    """(K, 2) dots (birth, death) of ``image`` (H, W), differentiable through the critical pixels."""
    idx = critical_pixels(image, dimension).to(image.device)
    dots = image.flatten()[idx]  # (K, 2)
    if max_points is not None and dots.shape[0] > max_points:
        keep = torch.argsort((dots[:, 0] - dots[:, 1]).detach(), descending=True, stable=True)[:max_points]
        dots = dots[keep]
    return dots


# --- distances between diagrams and between sets of diagrams ----------------------------------------


def assignment(cost: list[list[float]]) -> list[int]:
    """Minimum-cost assignment of every row to a distinct column (rows <= columns), Hungarian method."""
    n, m = len(cost), len(cost[0])
    inf = float("inf")
    u, v, match, way = [0.0] * (n + 1), [0.0] * (m + 1), [0] * (m + 1), [0] * (m + 1)
    for i in range(1, n + 1):
        match[0], j0 = i, 0
        slack, used = [inf] * (m + 1), [False] * (m + 1)
        while match[j0] != 0:
            used[j0], i0, delta, j1 = True, match[j0], inf, 0
            for j in range(1, m + 1):
                if not used[j]:
                    reduced = cost[i0 - 1][j - 1] - u[i0] - v[j]
                    if reduced < slack[j]:
                        slack[j], way[j] = reduced, j0
                    if slack[j] < delta:
                        delta, j1 = slack[j], j
            for j in range(m + 1):
                if used[j]:
                    u[match[j]] += delta
                    v[j] -= delta
                else:
                    slack[j] -= delta
            j0 = j1
        while j0:  # augment along the alternating path
            j1 = way[j0]
            match[j0] = match[j1]
            j0 = j1
    rows = [-1] * n
    for j in range(1, m + 1):
        if match[j]:
            rows[match[j] - 1] = j - 1
    return rows


def diagram_distance(x: Tensor, y: Tensor) -> Tensor:
    """Squared 2-Wasserstein distance between diagrams x (n, 2) and y (m, 2), differentiable in both.

    Each dot is matched to a dot of the other diagram (cost: squared distance) or to the diagonal
    (cost: squared distance to its projection, (birth - death)^2 / 2), by an exact assignment.
    """
    n, m = x.shape[0], y.shape[0]
    if n + m == 0:
        return x.new_zeros(())
    to_dot = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)  # (n, m)
    x_diag = (x[:, 0] - x[:, 1]) ** 2 / 2  # (n,)
    y_diag = (y[:, 0] - y[:, 1]) ** 2 / 2  # (m,)
    big = 1e12  # forbids a dot from using another dot's diagonal slot
    c = [[0.0] * (n + m) for _ in range(n + m)]
    d, xd, yd = to_dot.detach().tolist(), x_diag.detach().tolist(), y_diag.detach().tolist()
    for i in range(n):
        c[i][:m] = d[i]
        c[i][m:] = [xd[i] if k == i else big for k in range(n)]
    for k in range(m):
        c[n + k][:m] = [yd[k] if j == k else big for j in range(m)]
    total = x.new_zeros(())
    for i, j in enumerate(assignment(c)):
        if i < n:
            total = total + (to_dot[i, j] if j < m else x_diag[i])
        elif j < m:
            total = total + y_diag[j]  # a real dot unmatched: a constant
    return total


def topological_loss(fake: Tensor, real: Tensor, dimensions: tuple[int, ...], max_points: int | None = None) -> Tensor:
    """L_topo: optimal matching of generated to real diagrams, summed diagram distances over the batch.

    ``fake`` (B, 1, H, W) and ``real`` (M, 1, H, W), M >= B; real diagrams carry no gradient.
    """
    total = fake.new_zeros(())
    for dim in dimensions:
        fake_dgms = [persistence_diagram(img[0], dim, max_points) for img in fake]
        real_dgms = [persistence_diagram(img[0].detach(), dim, max_points) for img in real]
        dist = [[diagram_distance(f, r) for r in real_dgms] for f in fake_dgms]  # (B, M)
        plan = assignment([[float(dij.detach()) for dij in row] for row in dist])
        total = total + sum(dist[i][j] for i, j in enumerate(plan))
    return total


# --- the smoke case -------------------------------------------------------------------------------


def rings_and_bars(rng: torch.Generator, batch_size: int, size: int) -> Tensor:
    """Binary "structure" images in {-1, 1}, (B, 1, size, size): even ones a ring (one loop), odd ones a bar."""
    ys, xs = torch.meshgrid(
        torch.arange(size, dtype=torch.float32), torch.arange(size, dtype=torch.float32), indexing="ij"
    )
    images = []
    for b in range(batch_size):
        cy, cx = (size / 2 + torch.randint(-2, 3, (2,), generator=rng)).tolist()
        if b % 2 == 0:
            radius = size / 4 + float(torch.rand((), generator=rng)) * size / 8
            on = ((ys - cy) ** 2 + (xs - cx) ** 2).sqrt().sub(radius).abs() < 1.0
        else:
            on = (ys - cy).abs() < 1.5
        images.append(on.float() * 2 - 1)
    return torch.stack(images)[:, None]


SMOKE = TopoGANConfig(
    z_dim=16, generator_widths=(32, 16), critic_widths=(16, 32), dimensions=(0, 1), max_points=8, batch_size=4
)


def topogan_smoke(rng: torch.Generator) -> SmokeCase:
    cfg = SMOKE
    gan = TopoGAN(cfg)
    g, d = gan.generator, gan.critic
    b_size = cfg.batch_size
    batch = {
        "real": rings_and_bars(rng, b_size, cfg.image_size),  # (B, 1, 16, 16)
        "z_critic": torch.randn(cfg.n_critic, b_size, cfg.z_dim, generator=rng),  # one draw per critic step
        "z_generator": torch.randn(b_size, cfg.z_dim, generator=rng),  # (B, z_dim)
        "eps": torch.rand(cfg.n_critic, b_size, generator=rng),  # gradient-penalty interpolation
    }
    opt_g = torch.optim.Adam(g.parameters(), lr=cfg.lr, betas=cfg.betas)
    opt_d = torch.optim.Adam(d.parameters(), lr=cfg.lr, betas=cfg.betas)

    def step(b: dict[str, Tensor]) -> Losses:
        g.train()
        d.train()
        for k in range(cfg.n_critic):  # WGAN-GP critic updates
            opt_d.zero_grad(set_to_none=True)
            with torch.no_grad():
                fake = g(b["z_critic"][k])  # (B, 1, H, W)
            d_adv = wasserstein_critic_loss(d(b["real"]), d(fake))
            d_loss = d_adv + cfg.gp_weight * gradient_penalty(d, b["real"], fake, b["eps"][k])
            d_loss.backward()
            opt_d.step()
        opt_g.zero_grad(set_to_none=True)
        fake = g(b["z_generator"])
        g_adv = wasserstein_generator_loss(d(fake))
        topo = topological_loss(fake, b["real"], cfg.dimensions, cfg.max_points)
        g_loss = g_adv + cfg.topo_weight * topo
        g_loss.backward()
        opt_g.step()
        return {
            "d_loss": d_loss.detach(),
            "g_adversarial": g_adv.detach(),
            "topo": topo.detach(),
            "g_loss": g_loss.detach(),
        }

    return gan_case(g, d, batch, step, generator_inputs=("z_generator",))


ISBI_64 = TopoGANConfig()


@register_model(entry="topogan", smoke=topogan_smoke, input_shape=(128,))
def topogan_dcgan() -> TopoGAN:
    return TopoGAN(ISBI_64)
