"""Data that ships inside well-kept packages: scikit-learn's digits and scikit-image's photographs.

Nothing is downloaded: the digits come with scikit-learn, and the photographs are read straight from
the PNG/JPEG files inside the scikit-image wheel (``skimage.data``'s loaders would fetch some others).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

from alphatree.problems import AlphaTreeError

TEST_FRACTION = 0.25  # 450 of the 1,797 digits are held out, stratified by class


@dataclass
class Digits:
    train_x: Tensor  # (N, 1, S, S) in [0, 1]
    train_y: Tensor  # (N,)
    test_x: Tensor
    test_y: Tensor

    def to(self, device: torch.device) -> Digits:
        return Digits(*(t.to(device) for t in (self.train_x, self.train_y, self.test_x, self.test_y)))


def digits(seed: int = 0, size: int = 8, pad: int = 0) -> Digits:
    """The 8x8 digits scaled to [0, 1], bilinearly resized to ``size`` and zero-padded by ``pad`` a side.

    The split is stratified and fixed by ``seed``.
    """
    from sklearn.datasets import load_digits  # type: ignore[import-untyped]
    from sklearn.model_selection import train_test_split  # type: ignore[import-untyped]

    bunch = load_digits()
    images = torch.tensor(bunch.images, dtype=torch.float32).unsqueeze(1) / 16.0  # (1797, 1, 8, 8)
    labels = torch.tensor(bunch.target, dtype=torch.long)
    if size != 8:
        images = F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False).clamp(0, 1)
    if pad:
        images = F.pad(images, (pad, pad, pad, pad))
    idx = torch.arange(len(labels)).numpy()
    train, test = train_test_split(idx, test_size=TEST_FRACTION, random_state=seed, stratify=bunch.target)
    train_t, test_t = torch.as_tensor(train), torch.as_tensor(test)
    return Digits(images[train_t], labels[train_t], images[test_t], labels[test_t])


def photograph(name: str) -> Tensor:
    """A colour photograph from inside the scikit-image wheel, (3, H, W) in [0, 1]."""
    import numpy as np
    import skimage.data
    import skimage.io

    folder = Path(skimage.data.__file__).parent
    matches = sorted(folder.glob(f"{name}.*"))
    if not matches:
        raise AlphaTreeError(f"scikit-image ships no image {name!r} in {folder} (reinstall scikit-image)")
    array = np.asarray(skimage.io.imread(matches[0]))
    if array.ndim == 2:
        array = np.stack([array] * 3, axis=-1)
    array = array[..., :3].astype("float32") / 255.0
    return torch.from_numpy(array).permute(2, 0, 1).contiguous()


def resize(image: Tensor, size: int) -> Tensor:
    """The centre square of ``image`` (3, H, W), resized to ``size`` x ``size`` (antialiased)."""
    _, h, w = image.shape
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    square = image[:, top : top + s, left : left + s].unsqueeze(0)
    return F.interpolate(square, size=(size, size), mode="bilinear", antialias=True, align_corners=False)[0]
