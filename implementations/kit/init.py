"""Weight initialisation schemes that several papers share.

Most GAN papers after DCGAN initialise every convolution and dense weight from a zero-mean normal
with a small standard deviation (DCGAN's Section 4: N(0, 0.02)) and differ only in which layers are
covered, whether biases are zeroed and what happens to batch-norm scales. :func:`normal_init_`
takes those three choices as arguments, so a paper module states its scheme in one call:

    normal_init_(generator, 0.02, batch_norm="normal")        # DCGAN: BN scales from N(1, 0.02)
    normal_init_(net, 0.02, layers=CONVOLUTIONS)              # pix2pix / CycleGAN: convolutions only

Both functions work in place, return nothing and draw from torch's global generator, so a smoke
case seeds with ``torch.manual_seed`` (or builds under ``torch.random.fork_rng``) before calling them.
"""

from __future__ import annotations

from typing import Literal, cast

from torch import Tensor, nn

CONVOLUTIONS: tuple[type[nn.Module], ...] = (nn.Conv1d, nn.Conv2d, nn.ConvTranspose2d)
WEIGHTED: tuple[type[nn.Module], ...] = (*CONVOLUTIONS, nn.Linear)
BATCH_NORMS: tuple[type[nn.Module], ...] = (nn.BatchNorm1d, nn.BatchNorm2d)

BatchNormInit = Literal["keep", "ones", "normal"]


def normal_init_(
    module: nn.Module,
    std: float,
    *,
    layers: tuple[type[nn.Module], ...] = WEIGHTED,
    zero_bias: bool = True,
    batch_norm: BatchNormInit = "keep",
) -> None:
    """Weights of every ``layers`` instance from N(0, std); biases to 0 unless ``zero_bias`` is False.

    ``batch_norm``: ``"keep"`` leaves batch-norm layers as PyTorch made them (scale 1, shift 0),
    ``"ones"`` sets them so explicitly, ``"normal"`` draws scales from N(1, std) with shifts at 0 (the
    DCGAN authors' code, followed by InfoGAN, pix2pix and others). Any other value raises.
    """
    if batch_norm not in ("keep", "ones", "normal"):
        raise ValueError(f"batch_norm must be 'keep', 'ones' or 'normal', not {batch_norm!r}")
    if std <= 0:
        raise ValueError(f"std must be positive, not {std}")
    for m in module.modules():
        if isinstance(m, layers):
            nn.init.normal_(_weight(m), 0.0, std)
            if zero_bias and (bias := _bias(m)) is not None:
                nn.init.zeros_(bias)
        elif isinstance(m, BATCH_NORMS) and m.affine and batch_norm != "keep":
            if batch_norm == "normal":
                nn.init.normal_(_weight(m), 1.0, std)
            else:
                nn.init.ones_(_weight(m))
            nn.init.zeros_(cast(Tensor, m.bias))


def uniform_init_(module: nn.Module, bound: float, *, layers: tuple[type[nn.Module], ...] = (nn.Linear,)) -> None:
    """Weights of every ``layers`` instance uniform in [-bound, bound], biases 0 (pylearn2's ``irange``)."""
    if bound <= 0:
        raise ValueError(f"bound must be positive, not {bound}")
    for m in module.modules():
        if isinstance(m, layers):
            nn.init.uniform_(_weight(m), -bound, bound)
            if (bias := _bias(m)) is not None:
                nn.init.zeros_(bias)


def _weight(m: nn.Module) -> Tensor:
    return cast(Tensor, m.weight)


def _bias(m: nn.Module) -> Tensor | None:
    return cast("Tensor | None", getattr(m, "bias", None))
