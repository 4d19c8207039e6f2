"""Autoencoder experiments: the RBM-pretrained deep autoencoder against PCA, and the VAE's ELBO and latent space."""

from __future__ import annotations

import math
from dataclasses import replace

import torch
from torch import Tensor

from alphatree.experiments import pictures
from alphatree.experiments.data import digits
from alphatree.experiments.run import Context, Outcome

CODE = 6  # code units of the deep autoencoder and components of PCA
MORPHS = ((0, 7), (4, 2), (6, 3), (7, 9), (4, 0))  # pairs of classes far apart in a 2-D latent space


def pca_reconstruct(train: Tensor, test: Tensor, k: int) -> Tensor:
    """Project ``test`` (N, D) on the top ``k`` principal components of ``train``, and back."""
    from sklearn.decomposition import PCA  # type: ignore[import-untyped]

    pca = PCA(n_components=k, random_state=0).fit(train.cpu().numpy())
    back = pca.inverse_transform(pca.transform(test.cpu().numpy()))
    return torch.as_tensor(back, dtype=test.dtype, device=test.device)


def autoencoder_digits(ctx: Context) -> Outcome:
    """Figure 1 of Hinton and Salakhutdinov: pretrain a stack of RBMs, unroll, fine-tune; compare with PCA.

    Fine-tuning uses Adam on the cross-entropy instead of the paper's conjugate gradients.
    """
    from implementations.autoencoder import AutoencoderConfig, DeepAutoencoder, pretrain_rbms

    data = digits(ctx.seed, size=8).to(ctx.device)
    x, tx = data.train_x.flatten(1), data.test_x.flatten(1)  # (N, 64) in [0, 1]
    cfg = replace(
        AutoencoderConfig(),
        sizes=(64, 256, 128, 64, CODE),
        pretrain_epochs=3 if ctx.quick else 30,
        momentum_switch=2,
    )
    epochs = 5 if ctx.quick else 150
    batch = 64
    per_epoch = -(-len(x) // batch)
    ctx.plan(epochs * per_epoch)
    rbms = pretrain_rbms(x.cpu(), cfg, ctx.rng(1))
    model = DeepAutoencoder(cfg).unroll(rbms).to(ctx.device)
    pca_test = pca_reconstruct(x, tx, CODE)
    pca_mse = float(((pca_test - tx) ** 2).mean())

    @torch.no_grad()
    def test_mse() -> float:
        return float(((model(tx) - tx) ** 2).mean())

    after_pretraining = test_mse()
    history = [after_pretraining]
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    rng = ctx.rng(2)
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=rng).to(ctx.device)
        for b in ctx.steps(per_epoch, "fine-tuning"):
            idx = order[b * batch : (b + 1) * batch]
            opt.zero_grad(set_to_none=True)
            model.cross_entropy(x[idx]).backward()
            opt.step()
        history.append(test_mse())
    mse = history[-1]
    ctx.save(
        pictures.curves(
            {
                "deep autoencoder (after RBM pretraining)": (list(range(len(history))), history),
                f"PCA, {CODE} components": ([0, epochs], [pca_mse, pca_mse]),
            },
            title=f"Held-out reconstruction error, {CODE}-number codes",
            xlabel="fine-tuning epoch",
            ylabel="mean squared error per pixel",
            log_y=True,
        ),
        "reconstruction_error",
        "Held-out squared error per pixel while fine-tuning the unrolled autoencoder, against PCA with as many "
        "components as the code has units.",
    )
    show = tx[:12]
    with torch.no_grad():
        rows = torch.cat([show, model(show), pca_test[:12]]).view(-1, 1, 8, 8)
    ctx.save(
        pictures.grid(
            rows.cpu(),
            title=f"Held-out digits and their reconstructions from {CODE} numbers",
            columns=12,
            row_labels=["original", "autoencoder", "PCA"],
            cell=0.6,
        ),
        "reconstructions",
        "Top: held-out digits; middle: the deep autoencoder; bottom: PCA (Figure 2 of the paper, on digits).",
    )
    ratio = mse / pca_mse
    return Outcome(
        metrics={
            "test_mse": mse,
            "pca_test_mse": pca_mse,
            "mse_over_pca": ratio,
            "test_mse_after_pretraining": after_pretraining,
        },
        learned=mse < after_pretraining,
        direction=f"held-out MSE {after_pretraining:.4f} → {mse:.4f} (PCA {pca_mse:.4f})",
    )


def vae_digits(ctx: Context) -> Outcome:
    """Kingma and Welling's VAE (Bernoulli decoder, one tanh hidden layer each side), 2-D latent space."""
    from implementations.vae import VAE, VAEConfig

    data = digits(ctx.seed, size=8).to(ctx.device)
    x, tx, ty = data.train_x.flatten(1), data.test_x.flatten(1), data.test_y
    cfg = VAEConfig(data_dim=64, hidden=200, latent=2, decoder="bernoulli", lr=0.02)
    model = VAE(cfg).to(ctx.device)
    epochs = 10 if ctx.quick else 300
    batch = cfg.batch_size
    per_epoch = -(-len(x) // batch)
    ctx.plan(epochs * per_epoch)
    opt = torch.optim.Adagrad(model.parameters(), lr=cfg.lr)  # Section 5: Adagrad
    rng = ctx.rng(1)
    eval_rng = ctx.rng(2)

    @torch.no_grad()
    def elbo(v: Tensor) -> float:
        eps = torch.randn(len(v), cfg.latent, generator=eval_rng).to(ctx.device)
        return -float(model.negative_elbo(v, eps)[0])

    train_curve, test_curve = [elbo(x)], [elbo(tx)]
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=rng).to(ctx.device)
        for b in ctx.steps(per_epoch, "VAE"):
            idx = order[b * batch : (b + 1) * batch]
            eps = torch.randn(len(idx), cfg.latent, generator=rng).to(ctx.device)
            opt.zero_grad(set_to_none=True)
            loss, _, _ = model.negative_elbo(x[idx], eps)
            loss.backward()
            opt.step()
        train_curve.append(elbo(x))
        test_curve.append(elbo(tx))
    axis = list(range(epochs + 1))
    ctx.save(
        pictures.curves(
            {"training set": (axis, train_curve), "held-out": (axis, test_curve)},
            title="VAE: evidence lower bound per digit",
            xlabel="epoch",
            ylabel="ELBO (nats, higher is better)",
        ),
        "elbo",
        "The lower bound L(x) averaged over digits, on the training set and on the held-out set (Figure 2).",
    )
    with torch.no_grad():
        out = model(tx)
        recon = torch.sigmoid(out["logits"])
        mu = out["mu"]
    ctx.save(
        pictures.scatter(mu.cpu(), ty.cpu(), title="VAE: held-out digits in the 2-D latent space (means)"),
        "latent_space",
        "Each held-out digit at the mean of q(z|x), coloured by its class: the classes separate without labels.",
    )
    # Figure 4: the learned manifold, decoding a grid of z through the Gaussian's inverse CDF
    n = 12
    q = torch.linspace(0.03, 0.97, n)
    z_axis = math.sqrt(2) * torch.erfinv(2 * q - 1)
    zz = torch.stack(torch.meshgrid(z_axis, z_axis.flip(0), indexing="xy"), dim=-1).view(-1, 2)
    with torch.no_grad():
        manifold = torch.sigmoid(model.decoder(zz.to(ctx.device))["logits"]).view(-1, 1, 8, 8)
    ctx.save(
        pictures.grid(manifold.cpu(), title="VAE: the learned manifold (z on a grid)", columns=n, cell=0.45),
        "manifold",
        "Decoder means for z on an evenly spaced grid of the prior's quantiles (Figure 4 of the paper).",
    )
    # a morph: encode two held-out digits, decode the straight line between their latent means
    pairs = []
    for a, b in MORPHS:
        ia = int((ty == a).nonzero()[0])
        ib = int((ty == b).nonzero()[0])
        t = torch.linspace(0, 1, 10, device=ctx.device).view(-1, 1)
        pairs.append(mu[ia] * (1 - t) + mu[ib] * t)
    with torch.no_grad():
        morph = torch.sigmoid(model.decoder(torch.cat(pairs))["logits"]).view(-1, 1, 8, 8)
    ctx.save(
        pictures.grid(
            morph.cpu(),
            title="VAE: morphing one digit into another",
            columns=10,
            row_labels=[f"{a} → {b}" for a, b in MORPHS],
        ),
        "morph",
        "Decoding the straight line between the latent means of two held-out digits.",
    )
    ctx.save(
        pictures.grid(
            torch.cat([tx[:12], recon[:12]]).view(-1, 1, 8, 8).cpu(),
            title="Held-out digits and their VAE reconstructions (from 2 numbers)",
            columns=12,
            row_labels=["original", "VAE"],
            cell=0.6,
        ),
        "reconstructions",
        "Top: held-out digits; bottom: the decoder's mean at the latent mean.",
    )
    return Outcome(
        metrics={"test_elbo": test_curve[-1], "train_elbo": train_curve[-1], "initial_test_elbo": test_curve[0]},
        learned=test_curve[-1] > test_curve[0] + 1.0,
        direction=f"held-out ELBO {test_curve[0]:.1f} → {test_curve[-1]:.1f} nats",
        notes=["2-D latent space (as the paper's Figure 4) so that it can be drawn; ELBO of 64-pixel digits"],
    )
