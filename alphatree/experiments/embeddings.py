"""Embedding experiment: FaceNet's triplet loss with online semi-hard mining, digits standing in for faces.

The network is NN2 (``implementations/facenet.py``) narrowed as its smoke case is, on 32x32 digits
(grey repeated on three channels). Batches hold eight examples of each of the ten classes, as the
paper's batches hold about 40 faces of each identity, so that every anchor has positives; the
embedding is judged by 1-nearest-neighbour classification of held-out digits against the training set.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from alphatree.experiments import pictures
from alphatree.experiments.data import digits
from alphatree.experiments.run import Context, Outcome

PER_CLASS = 8
EMBEDDING = 32


@torch.no_grad()
def embed(model: nn.Module, x: Tensor, batch: int = 256) -> Tensor:
    model.eval()
    return torch.cat([model(x[i : i + batch].expand(-1, 3, -1, -1)) for i in range(0, len(x), batch)])


def nearest_neighbour_accuracy(train_e: Tensor, train_y: Tensor, test_e: Tensor, test_y: Tensor) -> float:
    nearest = torch.cdist(test_e, train_e).argmin(dim=1)
    return float((train_y[nearest] == test_y).float().mean())


def facenet_digits(ctx: Context) -> Outcome:
    from implementations.facenet import FaceNetConfig, FaceNetNN2, InceptionSpec, semi_hard_triplets, triplet_loss

    cfg = FaceNetConfig(
        modules=(
            InceptionSpec(8, 12, 16, 2, 4, "max", 4),
            InceptionSpec(8, 12, 16, 4, 8, "l2", 8),
            InceptionSpec(0, 16, 32, 4, 8, "max", 0, stride=2),
        ),
        stem_width=16,
        stem_reduce=16,
        stem_out=32,
        image_size=32,
        embedding_dim=EMBEDDING,
    )
    data = digits(ctx.seed, size=32).to(ctx.device)
    x, y = data.train_x, data.train_y
    model = FaceNetNN2(cfg).to(ctx.device)
    opt = torch.optim.Adagrad(model.parameters(), lr=cfg.lr)  # Section 4: AdaGrad, initial rate 0.05
    steps = 40 if ctx.quick else 600
    evals = 2 if ctx.quick else 10
    ctx.plan(steps)
    rng = ctx.rng(1)
    by_class = [(y == c).nonzero().flatten() for c in range(10)]
    losses: list[float] = []
    curve_steps: list[int] = []
    curve_acc: list[float] = []

    def evaluate(step: int) -> None:
        curve_steps.append(step)
        curve_acc.append(nearest_neighbour_accuracy(embed(model, x), y, embed(model, data.test_x), data.test_y))

    evaluate(0)
    for i in ctx.steps(steps, "FaceNet"):
        idx = torch.cat([c[torch.randint(0, len(c), (PER_CLASS,), generator=rng).to(c.device)] for c in by_class])
        model.train()
        emb = model(x[idx].expand(-1, 3, -1, -1))  # (80, 32), unit length
        a, p, n = semi_hard_triplets(emb, y[idx], cfg.margin)  # Eq. 4, mined without gradient
        loss = triplet_loss(emb, a, p, n, cfg.margin)  # Eq. 1
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if (i + 1) % (steps // evals) == 0:
            evaluate(i + 1)
    acc = curve_acc[-1]
    ctx.save(
        pictures.curves(
            {"held-out 1-NN accuracy": (curve_steps, curve_acc)},
            title="FaceNet on digits: 1-nearest-neighbour accuracy of the embedding",
            xlabel="step",
            ylabel="accuracy",
        ),
        "knn_accuracy",
        "Each held-out digit takes the class of its nearest training digit in the embedding.",
    )
    w = max(1, len(losses) // 20)
    smoothed = [sum(losses[j : j + w]) / w for j in range(0, len(losses) - w + 1, w)]
    ctx.save(
        pictures.curves(
            {"triplet loss (semi-hard triplets)": ([j * w + w for j in range(len(smoothed))], smoothed)},
            title="FaceNet on digits: triplet loss",
            xlabel="step",
            ylabel="loss (margin 0.2)",
        ),
        "loss",
        "Triplet loss of Eq. 1 on the mined semi-hard triplets (averaged over windows of steps).",
    )
    test_e = embed(model, data.test_x).cpu()
    if ctx.quick:
        from sklearn.decomposition import PCA  # type: ignore[import-untyped]

        flat = PCA(n_components=2).fit_transform(test_e.numpy())
        how = "PCA"
    else:
        from sklearn.manifold import TSNE  # type: ignore[import-untyped]

        flat = TSNE(n_components=2, random_state=ctx.seed, init="pca", perplexity=30).fit_transform(test_e.numpy())
        how = "t-SNE"
    ctx.save(
        pictures.scatter(flat, data.test_y.cpu(), title=f"FaceNet on digits: held-out embeddings ({how} to 2-D)"),
        "embedding",
        f"The {EMBEDDING}-dimensional unit-length embeddings of the held-out digits, drawn in 2-D with {how}.",
    )
    train_e = embed(model, x).cpu()
    queries = torch.arange(0, 10) * 40
    near = torch.cdist(test_e[queries], train_e).topk(7, largest=False).indices  # (10, 7)
    rows = torch.cat([torch.cat([data.test_x[q : q + 1].cpu(), x.cpu()[near[k]]]) for k, q in enumerate(queries)])
    ctx.save(
        pictures.grid(
            rows,
            title="Nearest training digits in the embedding",
            columns=8,
            column_labels=["query", "1st", "2nd", "3rd", "4th", "5th", "6th", "7th"],
        ),
        "neighbours",
        "Left: a held-out digit; right: its seven nearest training digits in the embedding.",
    )
    first = curve_acc[0]
    return Outcome(
        metrics={"knn_accuracy": acc, "initial_knn_accuracy": first, "final_triplet_loss": smoothed[-1]},
        learned=acc > first + 0.02 and smoothed[-1] < smoothed[0],
        direction=f"held-out 1-NN accuracy {first:.3f} → {acc:.3f}; "
        f"triplet loss {smoothed[0]:.3f} → {smoothed[-1]:.3f}",
    )
