"""Perceptual losses: a feed-forward network learns to restyle photographs (Johnson et al., Section 4.1).

The transformation network and the loss network are the paper's (``implementations/perceptual_loss.py``),
narrowed. No ImageNet weights exist offline, so the loss network is VGG-16 with random weights (as in
the module's own smoke case): random convolutional features still carry colour and texture statistics,
which Gram matrices match, but not the objects an ImageNet VGG recognises, so the restyling is of colour
and texture more than of strokes. Content images are crops of four photographs from the scikit-image
wheel; a fifth photograph, never trained on, shows what the network learned.
"""

from __future__ import annotations

from dataclasses import replace

import torch

from alphatree.experiments import pictures
from alphatree.experiments.data import photograph, resize
from alphatree.experiments.run import Context, Outcome

CONTENT = ("astronaut", "coffee", "rocket", "motorcycle_left")
HELD_OUT = "chelsea"
STYLE = "ihc"
SIZE = 64  # training crops
SOURCE = 128  # photographs are resized to this before cropping


def perceptual_style(ctx: Context) -> Outcome:
    from implementations.perceptual_loss import STYLE_TRANSFER, PerceptualLossModel, gram_matrix

    cfg = replace(
        STYLE_TRANSFER,
        widths=(16, 32, 64),
        upsample_widths=(32, 16),
        vgg_widths=(16, 32, 64, 128),
        residual_blocks=3,  # the paper's five, less two: each unpadded block trims 8 pixels a side
        reflection_padding=24,  # 8 per block, as the paper's 40 for five
        image_size=SIZE,
        # random features weigh content far less than an ImageNet VGG does: without this the output keeps no
        # trace of the photograph (measured: style 1e6 against content 2e3 at the start with the paper's 1.0)
        content_weight=STYLE_TRANSFER.content_weight * 200,
    )
    dev = ctx.device
    photos = torch.stack([resize(photograph(n), SOURCE) for n in CONTENT]) * cfg.pixel_max  # (4, 3, 128, 128)
    held_out = resize(photograph(HELD_OUT), SIZE * 2).unsqueeze(0).to(dev) * cfg.pixel_max
    style = resize(photograph(STYLE), SIZE * 2).unsqueeze(0).to(dev) * cfg.pixel_max
    torch.manual_seed(ctx.seed)
    model = PerceptualLossModel(cfg).to(dev)
    grams = model.style_targets(style)
    opt = torch.optim.Adam(model.transform.parameters(), lr=cfg.lr)
    steps = 10 if ctx.quick else 200
    ctx.plan(steps)
    rng = ctx.rng(1)
    history: dict[str, list[float]] = {"feature": [], "style": []}
    style_layers = set(cfg.style_layers)

    @torch.no_grad()
    def style_loss(images: torch.Tensor) -> float:
        phi = model.loss_network(images, style_layers)
        return float(sum((gram_matrix(phi[j]) - grams[j]).pow(2).mean() for j in style_layers))

    before = style_loss(model(held_out))
    photo_itself = style_loss(held_out)
    for _ in ctx.steps(steps, "style transfer"):
        top = torch.randint(0, SOURCE - SIZE + 1, (cfg.batch_size,), generator=rng).tolist()
        left = torch.randint(0, SOURCE - SIZE + 1, (cfg.batch_size,), generator=rng).tolist()
        which = torch.randint(0, len(CONTENT), (cfg.batch_size,), generator=rng).tolist()
        batch = torch.stack([photos[w, :, t : t + SIZE, s : s + SIZE] for w, t, s in zip(which, top, left)]).to(dev)
        model.train()
        losses = model.losses(batch, batch, grams)
        opt.zero_grad(set_to_none=True)
        losses["loss"].backward()
        opt.step()
        history["feature"].append(losses["feature"].item() * cfg.content_weight)
        history["style"].append(losses["style"].item() * cfg.style_weight)
    model.eval()
    with torch.no_grad():
        out = model(held_out)
        train_out = model(photos[:3].to(dev))
    after = style_loss(out)
    w = max(1, steps // 25)
    axis = list(range(w, steps + 1, w))
    ctx.save(
        pictures.curves(
            {
                f"content (relu2_2) × {cfg.content_weight:g}": (axis, _means(history["feature"], w)),
                f"style (4 Gram matrices) × {cfg.style_weight:g}": (axis, _means(history["style"], w)),
            },
            title="Perceptual losses while training the transformation network",
            xlabel="step",
            ylabel="weighted loss",
            log_y=True,
        ),
        "losses",
        "The two perceptual terms of the objective on the training crops (random-weight VGG-16 loss network).",
    )
    panel = torch.cat([style, held_out, out]) / cfg.pixel_max
    ctx.save(
        pictures.grid(
            panel.cpu(),
            title="A photograph it never saw, restyled in one forward pass",
            columns=3,
            column_labels=[f"style: {STYLE}", f"content: {HELD_OUT}", "output"],
            cell=2.2,
        ),
        "held_out",
        f"Style image (scikit-image's {STYLE}), a held-out photograph ({HELD_OUT}) and the network's output.",
    )
    ctx.save(
        pictures.grid(
            torch.cat([photos[:3].to(dev), train_out]).cpu() / cfg.pixel_max,
            title="Training photographs and their restyled versions",
            columns=3,
            row_labels=["input", "output"],
            cell=1.8,
        ),
        "training",
        "Three of the training photographs (whole, not cropped) and the network's output for each.",
    )
    ratio = after / before
    total = [f + t for f, t in zip(history["feature"], history["style"])]
    k = max(1, min(5, steps // 4))
    trained_start, trained_end = sum(total[:k]) / k, sum(total[-k:]) / k
    return Outcome(
        metrics={
            "style_loss_ratio": ratio,
            "held_out_style_loss": after,
            "untrained_style_loss": before,
            "photo_style_loss": photo_itself,
        },
        learned=trained_end < trained_start,
        direction=f"weighted training loss {trained_start:.4g} → {trained_end:.4g}; style loss of the held-out "
        f"output {before:.4g} → {after:.4g}",
        notes=["loss network: VGG-16 with random weights (no ImageNet weights offline), as the page says"],
    )


def _means(values: list[float], w: int) -> list[float]:
    return [sum(values[i : i + w]) / w for i in range(0, len(values) - w + 1, w)]
