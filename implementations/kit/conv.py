"""The convolution block that most CNN papers since batch normalisation share.

``conv_bn`` is a convolution without bias (the normalisation's shift takes its place), a
normalisation layer (batch norm unless the paper says otherwise) and, where the paper has one
there, an activation:

    (B, C_in, H, W) -> conv kxk/s, groups g, padding k//2 -> norm -> act -> (B, C_out, H/s, W/s)

It returns a plain ``nn.Sequential`` (``[0]`` the convolution, ``[1]`` the normalisation, ``[2]`` the
activation if any), so a paper's parameter names stay those of torchvision's and timm's layouts.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

NormLayer = Callable[[int], nn.Module]  # channels -> a normalisation layer for (B, channels, H, W)


def same_padding(kernel: int | tuple[int, int]) -> int | tuple[int, int]:
    """The padding that keeps the map size at stride 1 for an odd kernel: k // 2 on each side."""
    return (kernel[0] // 2, kernel[1] // 2) if isinstance(kernel, tuple) else kernel // 2


def conv_bn(
    c_in: int,
    c_out: int,
    kernel: int | tuple[int, int],
    stride: int = 1,
    *,
    groups: int = 1,
    padding: int | tuple[int, int] | None = None,
    norm: NormLayer = nn.BatchNorm2d,
    act: nn.Module | None = None,
) -> nn.Sequential:
    """Convolution (no bias, "same" padding unless ``padding`` is given), ``norm(c_out)``, then ``act`` if given."""
    pad = same_padding(kernel) if padding is None else padding
    layers: list[nn.Module] = [
        nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=pad, groups=groups, bias=False),
        norm(c_out),
    ]
    if act is not None:
        layers.append(act)
    return nn.Sequential(*layers)
