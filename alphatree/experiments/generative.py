"""Generative experiments: GAN, DCGAN, WGAN-GP and InfoGAN draw digits; cGAN and AC-GAN draw the digit asked for.

Each builds the paper's networks from its module in ``implementations/``, narrowed for 8x8 (MLPs) or
16x16 (convolutional nets) digits, and trains them with the kit's objectives. The samples are judged
by a digit classifier trained here (:mod:`alphatree.experiments.judge`). The GAN paper's MLPs use Adam
(lr 2e-4, beta1 0.5) instead of the paper's SGD with momentum schedules, which needs many more epochs;
the cGAN's MLPs keep their paper's SGD (with Adam they collapsed to one image and ignored the class).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from alphatree.experiments import pictures
from alphatree.experiments.data import Digits, digits
from alphatree.experiments.judge import Judge, train_judge
from alphatree.experiments.run import Context, Outcome

SAMPLES = 1000  # judged per evaluation
EVALUATIONS = 8  # points on the Frechet-distance curve

Step = Callable[[Tensor], dict[str, float]]  # one training iteration on a real batch -> losses
Sampler = Callable[[int, torch.Generator], Tensor]  # n -> (n, 1, S, S) images in [0, 1]


def uniform(n: int, dim: int, rng: torch.Generator, device: torch.device, low: float = -1.0) -> Tensor:
    return (torch.rand(n, dim, generator=rng) * (1 - low) + low).to(device)


def train_gan(
    ctx: Context,
    data: Digits,
    judge: Judge,
    step: Step,
    sample: Sampler,
    *,
    steps: int,
    batch_size: int,
    name: str,
    on_judge: Callable[[], None] | None = None,
) -> tuple[dict[str, list[float]], list[int], list[float]]:
    """Run ``steps`` iterations on shuffled real batches; judge samples EVALUATIONS + 1 times (and call
    ``on_judge`` each time, for an experiment's own measures)."""
    x = data.train_x
    rng = ctx.rng(7)
    losses: dict[str, list[float]] = {}
    evals, frechet = [], []
    every = max(1, steps // (3 if ctx.quick else EVALUATIONS))

    def judge_now(i: int) -> None:
        evals.append(i)
        frechet.append(judge.score(sample(SAMPLES, ctx.rng(99)))["frechet_distance"])
        if on_judge is not None:
            on_judge()

    judge_now(0)
    for i in ctx.steps(steps, name):
        idx = torch.randint(0, len(x), (batch_size,), generator=rng).to(x.device)
        for k, v in step(x[idx]).items():
            losses.setdefault(k, []).append(v)
        if (i + 1) % every == 0 or i == steps - 1:
            if evals[-1] != i + 1:
                judge_now(i + 1)
    return losses, evals, frechet


def minimax_step(
    g: torch.nn.Module,
    d: torch.nn.Module,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    noise: Callable[[int], Tensor],
    *,
    to_tanh: bool = False,
) -> Step:
    """Algorithm 1 of the GAN paper with k = 1 and the non-saturating generator loss, on a real batch."""
    from implementations.kit.adversarial import minimax_discriminator_loss, non_saturating_generator_loss

    def step(real: Tensor) -> dict[str, float]:
        if to_tanh:
            real = real * 2 - 1
        g.train()
        d.train()
        b = len(real)
        opt_d.zero_grad(set_to_none=True)
        with torch.no_grad():
            fake = g(noise(b))
        d_loss = minimax_discriminator_loss(d(real), d(fake))
        d_loss.backward()
        opt_d.step()
        opt_g.zero_grad(set_to_none=True)
        g_loss = non_saturating_generator_loss(d(g(noise(b))))
        g_loss.backward()
        opt_g.step()
        return {"d": d_loss.item(), "g": g_loss.item()}

    return step


def smooth(values: list[float], window: int = 25) -> tuple[list[int], list[float]]:
    """Moving average (the per-step losses of a GAN are noisy)."""
    w = max(1, min(window, len(values) // 10 or 1))
    t = torch.tensor(values)
    avg = F.avg_pool1d(t.view(1, 1, -1), w, stride=1).flatten().tolist()
    return list(range(w, len(values) + 1)), avg


def save_training_curves(
    ctx: Context,
    title: str,
    losses: dict[str, list[float]],
    loss_labels: dict[str, str],
    evals: list[int],
    frechet: list[float],
    *,
    noun: str,
    ylabel: str,
) -> None:
    """The players' ``noun`` (losses, objectives) as moving averages, and the Fréchet distance over training."""
    ctx.save(
        pictures.curves(
            {label: smooth(losses[key]) for key, label in loss_labels.items()},
            title=f"{title}: the players' {noun} (moving average)",
            xlabel="iteration",
            ylabel=ylabel,
        ),
        "losses",
        f"The players' {noun} during training.",
    )
    save_frechet_curve(ctx, title, evals, frechet)


def save_frechet_curve(ctx: Context, title: str, evals: list[int], frechet: list[float]) -> None:
    """The Fréchet distance of samples to held-out digits over training, in the judge's features."""
    ctx.save(
        pictures.curves(
            {"samples vs held-out digits": (evals, frechet)},
            title=f"{title}: Fréchet distance in the judge's features",
            xlabel="iteration",
            ylabel="Fréchet distance (lower is better)",
            log_y=True,
        ),
        "frechet",
        "Fréchet distance between the judge's features of 1,000 samples and of the 450 held-out real digits.",
    )


def report(
    ctx: Context,
    title: str,
    judge: Judge,
    sample: Sampler,
    losses: dict[str, list[float]],
    evals: list[int],
    frechet: list[float],
    loss_labels: dict[str, str],
) -> dict[str, float]:
    """Samples grid, loss and Frechet curves; returns the judge's scores of the final samples."""
    ctx.save(
        pictures.grid(sample(100, ctx.rng(5)).cpu(), title=f"{title}: 100 samples", columns=10),
        "samples",
        "One hundred samples from the trained generator (fixed noise).",
    )
    save_training_curves(ctx, title, losses, loss_labels, evals, frechet, noun="losses", ylabel="loss")
    scores = judge.score(sample(SAMPLES, ctx.rng(99)))
    scores["judge_test_accuracy"] = judge.test_accuracy
    scores["initial_frechet_distance"] = frechet[0]
    return scores


def gan_outcome(scores: dict[str, float], frechet: list[float], notes: list[str]) -> Outcome:
    return Outcome(
        metrics=scores,
        learned=frechet[-1] < 0.9 * frechet[0],
        direction=f"Fréchet distance to held-out digits {frechet[0]:.1f} → {frechet[-1]:.1f}",
        notes=notes,
    )


def _setup(ctx: Context, size: int) -> tuple[Digits, Judge]:
    data8 = digits(ctx.seed, size=8)
    judge = train_judge(data8, ctx.rng(3), ctx.device)
    data = data8 if size == 8 else digits(ctx.seed, size=size)
    return data.to(ctx.device), judge


def gan_digits(ctx: Context) -> Outcome:
    from implementations.gan import GAN, GANConfig

    cfg = GANConfig(image_size=8, z_dim=32, generator_widths=(256, 256), maxout_units=(128, 128), batch_size=64)
    data, judge = _setup(ctx, 8)
    gan = GAN(cfg).to(ctx.device)
    g, d = gan.generator, gan.discriminator
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    rng = ctx.rng(11)

    step = minimax_step(g, d, opt_g, opt_d, lambda b: uniform(b, cfg.z_dim, rng, ctx.device))

    @torch.no_grad()
    def sample(n: int, r: torch.Generator) -> Tensor:
        g.eval()
        return g(uniform(n, cfg.z_dim, r, ctx.device))

    steps = 300 if ctx.quick else 3000
    ctx.plan(steps)
    losses, evals, frechet = train_gan(ctx, data, judge, step, sample, steps=steps, batch_size=64, name="GAN")
    scores = report(ctx, "GAN", judge, sample, losses, evals, frechet, {"d": "discriminator", "g": "generator"})
    return gan_outcome(scores, frechet, ["Adam (lr 2e-4, beta1 0.5) instead of the paper's SGD with momentum"])


def dcgan_digits(ctx: Context) -> Outcome:
    from implementations.dcgan import DCGAN, DCGANConfig

    cfg = DCGANConfig(
        image_size=16, channels=1, z_dim=32, generator_widths=(64, 32), discriminator_widths=(32, 64), batch_size=64
    )
    data, judge = _setup(ctx, 16)
    gan = DCGAN(cfg).to(ctx.device)
    g, d = gan.generator, gan.discriminator
    opt_g = torch.optim.Adam(g.parameters(), lr=cfg.lr, betas=cfg.betas)
    opt_d = torch.optim.Adam(d.parameters(), lr=cfg.lr, betas=cfg.betas)
    rng = ctx.rng(11)

    # the generator's tanh range: real images go from [0, 1] to [-1, 1]
    step = minimax_step(g, d, opt_g, opt_d, lambda b: uniform(b, cfg.z_dim, rng, ctx.device), to_tanh=True)

    @torch.no_grad()
    def sample(n: int, r: torch.Generator) -> Tensor:
        g.eval()
        return (g(uniform(n, cfg.z_dim, r, ctx.device)) + 1) / 2

    steps = 200 if ctx.quick else 2000
    ctx.plan(steps)
    losses, evals, frechet = train_gan(ctx, data, judge, step, sample, steps=steps, batch_size=64, name="DCGAN")
    scores = report(ctx, "DCGAN", judge, sample, losses, evals, frechet, {"d": "discriminator", "g": "generator"})
    # Section 6.1: walking in the latent space; straight lines between random points, 10 steps each
    r = ctx.rng(21)
    ends = uniform(16, cfg.z_dim, r, ctx.device).view(8, 2, cfg.z_dim)
    t = torch.linspace(0, 1, 10, device=ctx.device).view(1, 10, 1)
    z = (ends[:, :1] * (1 - t) + ends[:, 1:] * t).reshape(-1, cfg.z_dim)
    with torch.no_grad():
        g.eval()
        walk = (g(z) + 1) / 2
    ctx.save(
        pictures.grid(walk.cpu(), title="DCGAN: walking in z (each row a straight line)", columns=10),
        "latent_walk",
        "Each row interpolates linearly between two random z: the digits morph smoothly (Section 6.1).",
    )
    return gan_outcome(scores, frechet, [])


def wgan_gp_digits(ctx: Context) -> Outcome:
    from implementations.kit.adversarial import gradient_penalty, wasserstein_critic_loss, wasserstein_generator_loss
    from implementations.wgan_gp import WGANGP, DCGANStyleConfig, DCGANStyleCritic, DCGANStyleGenerator, WGANGPConfig

    paper = WGANGPConfig()
    cfg = DCGANStyleConfig(image_size=16, channels=1, z_dim=32, dim=32, stages=2)
    data, judge = _setup(ctx, 16)
    gan = WGANGP(DCGANStyleGenerator(cfg), DCGANStyleCritic(cfg)).to(ctx.device)
    g, d = gan.generator, gan.discriminator
    opt_g = torch.optim.Adam(g.parameters(), lr=paper.lr, betas=paper.betas)
    opt_d = torch.optim.Adam(d.parameters(), lr=paper.lr, betas=paper.betas)
    rng = ctx.rng(11)
    x = data.train_x
    batch = 64

    def step(real01: Tensor) -> dict[str, float]:
        # Algorithm 1: n_critic critic updates (each on a fresh real batch), then one generator update
        g.train()
        d.train()
        w = 0.0
        for k in range(paper.n_critic):
            real = real01 * 2 - 1 if k == 0 else x[torch.randint(0, len(x), (batch,), generator=rng)] * 2 - 1
            opt_d.zero_grad(set_to_none=True)
            with torch.no_grad():
                fake = g(torch.randn(batch, cfg.z_dim, generator=rng).to(ctx.device))
            eps = torch.rand(batch, generator=rng).to(ctx.device)
            critic = wasserstein_critic_loss(d(real), d(fake))
            loss = critic + paper.penalty_weight * gradient_penalty(d, real, fake, eps)
            loss.backward()
            opt_d.step()
            w = -critic.item()
        opt_g.zero_grad(set_to_none=True)
        g_loss = wasserstein_generator_loss(d(g(torch.randn(batch, cfg.z_dim, generator=rng).to(ctx.device))))
        g_loss.backward()
        opt_g.step()
        return {"w": w, "g": g_loss.item()}

    @torch.no_grad()
    def sample(n: int, r: torch.Generator) -> Tensor:
        g.eval()
        return (g(torch.randn(n, cfg.z_dim, generator=r).to(ctx.device)) + 1) / 2

    steps = 60 if ctx.quick else 800
    ctx.plan(steps)
    losses, evals, frechet = train_gan(ctx, data, judge, step, sample, steps=steps, batch_size=batch, name="WGAN-GP")
    scores = report(ctx, "WGAN-GP", judge, sample, losses, evals, frechet, {"w": "critic's Wasserstein estimate"})
    return gan_outcome(scores, frechet, [f"n_critic {paper.n_critic}, lambda {paper.penalty_weight:g}"])


def code_class_nmi(categories: Tensor, judged: Tensor) -> float:
    """Normalised mutual information between the categorical code and the judged digit class: 1.0 when
    each code value draws its own digit, 0.0 when the code says nothing about the digit (or every sample is
    the same digit)."""
    from sklearn.metrics import normalized_mutual_info_score  # type: ignore[import-untyped]

    return float(normalized_mutual_info_score(categories.numpy(), judged.numpy()))


def infogan_digits(ctx: Context) -> Outcome:
    from implementations.infogan import InfoGAN, InfoGANConfig, code_entropy, information_loss
    from implementations.kit.adversarial import minimax_discriminator_loss, non_saturating_generator_loss

    cfg = InfoGANConfig(
        noise_dim=16,
        image_size=16,
        generator_fc=256,
        generator_widths=(64, 32),
        trunk_widths=(32, 64),
        trunk_fc=256,
        q_fc=64,
        batch_size=64,
    )
    data, judge = _setup(ctx, 16)
    gan = InfoGAN(cfg).to(ctx.device)
    g, d = gan.generator, gan.discriminator
    opt_d = torch.optim.Adam(d.parameters(), lr=cfg.lr_d, betas=cfg.betas)
    opt_g = torch.optim.Adam(g.parameters(), lr=cfg.lr_g, betas=cfg.betas)
    rng = ctx.rng(11)
    h_c = code_entropy(cfg)

    def prior(n: int, r: torch.Generator) -> tuple[Tensor, Tensor, Tensor]:
        noise = uniform(n, cfg.noise_dim, r, ctx.device)
        category = torch.randint(0, cfg.categories, (n,), generator=r).to(ctx.device)
        continuous = uniform(n, cfg.continuous, r, ctx.device)
        return noise, category, continuous

    def step(real: Tensor) -> dict[str, float]:
        g.train()
        d.train()
        b = len(real)
        noise, cat, cont = prior(b, rng)
        opt_d.zero_grad(set_to_none=True)
        with torch.no_grad():
            fake = g(gan.latent(noise, cat, cont))
        real_logit, _ = d(real)
        fake_logit, posterior = d(fake)
        d_info = information_loss(posterior, cat, cont)
        d_loss = minimax_discriminator_loss(real_logit, fake_logit) + cfg.info_weight * d_info
        d_loss.backward()
        opt_d.step()
        noise, cat, cont = prior(b, rng)
        opt_g.zero_grad(set_to_none=True)
        fake_logit, posterior = d(g(gan.latent(noise, cat, cont)))
        g_loss = non_saturating_generator_loss(fake_logit) + cfg.info_weight * information_loss(posterior, cat, cont)
        g_loss.backward()
        opt_g.step()
        return {"d": d_loss.item(), "g": g_loss.item(), "mi": h_c - d_info.item()}

    @torch.no_grad()
    def sample(n: int, r: torch.Generator) -> Tensor:
        g.eval()
        return g(gan.latent(*prior(n, r)))

    steps = 300 if ctx.quick else 2500
    ctx.plan(steps)
    losses, evals, frechet = train_gan(ctx, data, judge, step, sample, steps=steps, batch_size=64, name="InfoGAN")
    scores = report(
        ctx,
        "InfoGAN",
        judge,
        sample,
        losses,
        evals,
        frechet,
        {"d": "discriminator (+ info)", "g": "generator (+ info)", "mi": "mutual-information bound L_I"},
    )
    r = ctx.rng(51)
    noise, _, _ = prior(SAMPLES, r)
    cat = torch.arange(SAMPLES, device=ctx.device) % cfg.categories
    cont = uniform(SAMPLES, cfg.continuous, r, ctx.device)
    with torch.no_grad():
        g.eval()
        judged = judge.probabilities(g(gan.latent(noise, cat, cont))).argmax(1)
    scores["code_class_nmi"] = code_class_nmi(cat.cpu(), judged.cpu())
    scores["mutual_information_bound"] = sum(losses["mi"][-100:]) / len(losses["mi"][-100:])
    # Figure 2: rows vary c1 (the categorical code); columns vary c2 from -2 to 2, noise fixed per row
    rows, cols = cfg.categories, 10
    noise = uniform(1, cfg.noise_dim, ctx.rng(61), ctx.device).expand(rows * cols, -1)
    cat = torch.arange(rows, device=ctx.device).repeat_interleave(cols)
    sweep = torch.linspace(-2, 2, cols, device=ctx.device).repeat(rows)
    cont = torch.stack([sweep, torch.zeros_like(sweep)], dim=1)
    with torch.no_grad():
        grid = g(gan.latent(noise, cat, cont))
    ctx.save(
        pictures.grid(
            grid.cpu(),
            title="InfoGAN: rows vary c1, columns vary c2 from -2 to 2",
            columns=cols,
            row_labels=[f"c1 = {k}" for k in range(rows)],
        ),
        "codes",
        "Each row fixes one value of the categorical code c1; along a row the continuous code c2 sweeps "
        "from -2 to 2 (beyond its training range of -1 to 1), the noise stays fixed (Figure 2).",
    )
    outcome = gan_outcome(scores, frechet, [])
    outcome.direction += f"; code-class NMI {scores['code_class_nmi']:.2f}"
    return outcome


# --- digits on demand: conditional generators, judged on whether they draw the digit asked for --------


def requested(n: int, device: torch.device, classes: int = 10) -> Tensor:
    """n requested classes in blocks, 0 first: 100 of them drawn as a 10-column grid give one digit per row."""
    return (torch.arange(n, device=device) * classes) // n


def requested_class_accuracy(asked: Tensor, judged: Tensor) -> float:
    """The share of samples the judge reads as the digit they were asked for (0.1 is chance)."""
    return float((judged == asked).float().mean())


def style_spread(samples: Tensor, asked: Tensor, real: Tensor, real_y: Tensor) -> float:
    """Per-class pixel spread of the samples over that of the real digits (8x8), averaged over classes:
    about 1 when the noise varies the style as much as handwriting does, near 0 when each class is one image."""
    ratios = []
    for k in range(10):
        s, r = samples[asked == k].flatten(1), real[real_y == k].flatten(1)
        ratios.append(float(s.std(0).mean() / r.std(0).mean()))
    return sum(ratios) / len(ratios)


def train_on_demand(
    ctx: Context,
    data: Digits,
    judge: Judge,
    step: Step,
    draw: Callable[[Tensor, Tensor], Tensor],
    noise: Callable[[int, torch.Generator], Tensor],
    *,
    steps: int,
    title: str,
    loss_labels: dict[str, str],
) -> tuple[dict[str, float], list[float], list[float]]:
    """Train a conditional generator (``draw(z, classes)`` -> images in [0, 1]), tracking the Fréchet
    distance and how often the judge reads the requested digit; save the pictures; return the scores
    and the two curves."""
    accuracy: list[float] = []

    @torch.no_grad()
    def sample(n: int, r: torch.Generator) -> Tensor:
        return draw(noise(n, r), requested(n, ctx.device))

    def judge_requests() -> None:
        judged = judge.probabilities(sample(SAMPLES, ctx.rng(98))).argmax(1)
        accuracy.append(requested_class_accuracy(requested(SAMPLES, ctx.device), judged))

    losses, evals, frechet = train_gan(
        ctx, data, judge, step, sample, steps=steps, batch_size=64, name=title, on_judge=judge_requests
    )
    # one row per requested digit; each column keeps its noise, so z sets the style down a column
    with torch.no_grad():
        grid = draw(noise(10, ctx.rng(5)).repeat(10, 1), requested(100, ctx.device))
    ctx.save(
        pictures.grid(
            grid.cpu(),
            title=f"{title}: digits on demand (each row asks for one digit)",
            columns=10,
            row_labels=[f"asked {k}" for k in range(10)],
        ),
        "digits_on_demand",
        "Row k asks the generator for digit k; each column keeps one noise vector, so the digits down a "
        "column share whatever style the noise controls.",
    )
    ctx.save(
        pictures.curves(
            {"requested digit read by the judge": (evals, accuracy)},
            title=f"{title}: samples read as the digit asked for",
            xlabel="iteration",
            ylabel="share of 1,000 samples (0.1 is chance)",
        ),
        "requested_accuracy",
        "The share of 1,000 samples (100 per digit) that the judge, a classifier trained on the real "
        "training digits, reads as the digit requested of the generator.",
    )
    save_training_curves(ctx, title, losses, loss_labels, evals, frechet, noun="objectives", ylabel="value")
    final = sample(SAMPLES, ctx.rng(99))
    scores = judge.score(final)
    scores["requested_class_accuracy"] = accuracy[-1]
    scores["initial_requested_class_accuracy"] = accuracy[0]
    scores["style_spread"] = style_spread(
        Judge.as_8x8(final).cpu(),
        requested(SAMPLES, ctx.device).cpu(),
        Judge.as_8x8(data.train_x).cpu(),
        data.train_y.cpu(),
    )
    scores["initial_frechet_distance"] = frechet[0]
    scores["judge_test_accuracy"] = judge.test_accuracy
    return scores, accuracy, frechet


STYLE_NOTE = (
    "style_spread: each digit's pixel spread over the samples, divided by that over the real digits of the "
    "class (1: the noise varies the style as much as handwriting does; near 0: one image per digit)"
)


def on_demand_outcome(
    scores: dict[str, float], accuracy: list[float], frechet: list[float], notes: list[str]
) -> Outcome:
    return Outcome(
        metrics=scores,
        learned=accuracy[-1] >= max(0.2, accuracy[0] + 0.1) and frechet[-1] < frechet[0],
        direction=f"judge reads the requested digit in {accuracy[0]:.2f} → {accuracy[-1]:.2f} of samples; "
        f"Fréchet distance {frechet[0]:.1f} → {frechet[-1]:.1f}",
        notes=notes,
    )


def cgan_digits(ctx: Context) -> Outcome:
    """The cGAN paper's MLPs (y fed to both players, maxout discriminator) trained as in its Section 4.1."""
    from implementations.cgan import CGAN, CGANConfig
    from implementations.kit.adversarial import minimax_discriminator_loss, non_saturating_generator_loss

    cfg = CGANConfig(
        z_dim=32,
        image_size=8,
        z_width=128,
        y_width=128,
        joint_width=256,
        x_maxout=(128, 5),
        y_maxout=(32, 5),
        joint_maxout=(128, 4),
        batch_size=64,
    )
    data, judge = _setup(ctx, 8)
    gan = CGAN(cfg).to(ctx.device)
    g, d = gan.generator, gan.discriminator
    # Section 4.1: SGD, learning rate 0.1 decayed by 1.00004 a step, momentum 0.5 rising to 0.7
    opt_g = torch.optim.SGD(g.parameters(), lr=cfg.lr, momentum=cfg.momentum)
    opt_d = torch.optim.SGD(d.parameters(), lr=cfg.lr, momentum=cfg.momentum)
    rng = ctx.rng(11)
    x, y = data.train_x, data.train_y
    steps = 1000 if ctx.quick else 2500
    t = 0

    def noise(n: int, r: torch.Generator) -> Tensor:
        return torch.randn(n, cfg.z_dim, generator=r).to(ctx.device)

    def one_hot(c: Tensor) -> Tensor:
        return F.one_hot(c, cfg.num_classes).float()

    def step(_: Tensor) -> dict[str, float]:
        nonlocal t
        for opt in (opt_g, opt_d):
            for group in opt.param_groups:
                group["lr"] = max(cfg.lr / 1.00004**t, 1e-6)
                group["momentum"] = cfg.momentum + (0.7 - cfg.momentum) * t / steps
        t += 1
        g.train()
        d.train()
        idx = torch.randint(0, len(x), (cfg.batch_size,), generator=rng).to(x.device)
        real, y_real = x[idx], one_hot(y[idx])
        y_fake = one_hot(torch.randint(0, cfg.num_classes, (cfg.batch_size,), generator=rng).to(ctx.device))
        opt_d.zero_grad(set_to_none=True)
        with torch.no_grad():
            fake = g(noise(cfg.batch_size, rng), y_fake)
        d_loss = minimax_discriminator_loss(d(real, y_real), d(fake, y_fake))
        d_loss.backward()
        opt_d.step()
        opt_g.zero_grad(set_to_none=True)
        g_loss = non_saturating_generator_loss(d(g(noise(cfg.batch_size, rng), y_fake), y_fake))
        g_loss.backward()
        opt_g.step()
        return {"d": d_loss.item(), "g": g_loss.item()}

    def draw(z: Tensor, c: Tensor) -> Tensor:
        g.eval()
        return g(z, one_hot(c))

    ctx.plan(steps)
    scores, accuracy, frechet = train_on_demand(
        ctx,
        data,
        judge,
        step,
        draw,
        noise,
        steps=steps,
        title="cGAN",
        loss_labels={"d": "discriminator", "g": "generator"},
    )
    return on_demand_outcome(
        scores,
        accuracy,
        frechet,
        [
            "the paper's networks narrowed for 8x8 digits: z 32 -> 128, y 10 -> 128, joint 256; maxout 128x5, "
            "32x5, joint 128x4; dropout 0.5",
            "Section 4.1's SGD: lr 0.1 decayed by 1.00004 a step, momentum raised linearly from 0.5 to 0.7 "
            "over the run (the paper gives no schedule); the non-saturating generator loss; no early stopping",
            "z ~ N(0, 1) instead of the paper's U(0, 1): with U(0, 1) the generator's z layer died and every "
            "class came out as one image",
            "with Adam (lr 2e-4 to 1e-3) instead of the paper's SGD the generator collapsed to one image "
            "whatever z and y, and the judge read the requested digit in 10 % of samples (chance)",
            STYLE_NOTE,
        ],
    )


def acgan_digits(ctx: Context) -> Outcome:
    """AC-GAN: only the generator is given the class; the discriminator has to recognise it (Section 3)."""
    from implementations.acgan import ACGAN, ACGANConfig, class_log_likelihood, source_log_likelihood

    cfg = ACGANConfig(
        noise_dim=32,
        image_size=16,
        channels=1,
        linear_maps=64,
        generator_widths=(32,),
        discriminator_widths=(16, 32, 64),
        discriminator_strides=(2, 1, 2),
        batch_size=64,
    )
    data, judge = _setup(ctx, 16)
    gan = ACGAN(cfg).to(ctx.device)
    g, d = gan.generator, gan.discriminator
    opt_g = torch.optim.Adam(g.parameters(), lr=cfg.lr, betas=cfg.betas)
    opt_d = torch.optim.Adam(d.parameters(), lr=cfg.lr, betas=cfg.betas)
    rng = ctx.rng(11)
    x, y = data.train_x, data.train_y
    batch = cfg.batch_size

    def noise(n: int, r: torch.Generator) -> Tensor:
        return torch.randn(n, cfg.noise_dim, generator=r).to(ctx.device)

    def classes(n: int) -> Tensor:
        return torch.randint(0, cfg.num_classes, (n,), generator=rng).to(ctx.device)

    def step(_: Tensor) -> dict[str, float]:
        # Section 3: D maximises L_S + L_C; G maximises L_C - L_S (the paper's saturating source term)
        g.train()
        d.train()
        idx = torch.randint(0, len(x), (batch,), generator=rng).to(x.device)
        real, c_real = x[idx] * 2 - 1, y[idx]  # the generator's tanh range
        c_fake = classes(batch)
        opt_d.zero_grad(set_to_none=True)
        with torch.no_grad():
            fake = g(noise(batch, rng), c_fake)
        (s_real, k_real), (s_fake, k_fake) = d(real), d(fake)
        l_s = source_log_likelihood(s_real, s_fake)
        l_c = class_log_likelihood(k_real, k_fake, c_real, c_fake)
        (-(l_s + l_c)).backward()
        opt_d.step()
        c_fake = classes(batch)
        opt_g.zero_grad(set_to_none=True)
        s_fake, k_fake = d(g(noise(batch, rng), c_fake))
        g_l_c = -F.cross_entropy(k_fake, c_fake)
        (-(g_l_c - F.logsigmoid(-s_fake).mean())).backward()
        opt_g.step()
        return {"l_s": l_s.item(), "l_c": l_c.item(), "g_l_c": g_l_c.item()}

    def draw(z: Tensor, c: Tensor) -> Tensor:
        g.eval()
        return (g(z, c) + 1) / 2

    steps = 250 if ctx.quick else 1500
    ctx.plan(steps)
    scores, accuracy, frechet = train_on_demand(
        ctx,
        data,
        judge,
        step,
        draw,
        noise,
        steps=steps,
        title="AC-GAN",
        loss_labels={
            "l_s": "D's source log-likelihood L_S",
            "l_c": "D's class log-likelihood L_C",
            "g_l_c": "class log-likelihood of G's samples",
        },
    )
    return on_demand_outcome(
        scores,
        accuracy,
        frechet,
        [
            "networks narrowed for 16x16 digits: 64 maps of 4x4, one 32-map transposed convolution; "
            "discriminator widths 16/32/64 with dropout 0.5; 32-d noise; the paper's Adam and saturating G loss",
            STYLE_NOTE,
        ],
    )
