"""Choices of the GAN-family and VAE modules that take a string: an unknown value raises."""

from __future__ import annotations

import pytest
from torch import nn

from implementations.pix2pix import PatchGAN
from implementations.vae import VAEConfig


def test_vae_decoder_must_be_bernoulli_or_gaussian():
    assert VAEConfig(data_dim=4, hidden=2, latent=1, decoder="gaussian").decoder == "gaussian"
    with pytest.raises(ValueError, match="decoder"):
        VAEConfig(data_dim=4, hidden=2, latent=1, decoder="poisson")  # type: ignore[arg-type]


def test_patchgan_norm_picks_the_layer_and_the_biases():
    batch = PatchGAN(6, (8, 16, 32, 64), norm="batch")
    instance = PatchGAN(3, (8, 16, 32, 64), norm="instance")
    assert sum(isinstance(m, nn.BatchNorm2d) for m in batch.modules()) == 3
    assert sum(isinstance(m, nn.InstanceNorm2d) for m in instance.modules()) == 3
    convs = [m for m in batch.modules() if isinstance(m, nn.Conv2d)]
    assert [c.bias is not None for c in convs] == [True, False, False, False, True]  # BatchNorm supplies the shift
    assert all(m.bias is not None for m in instance.modules() if isinstance(m, nn.Conv2d))
    with pytest.raises(ValueError, match="norm"):
        PatchGAN(3, (8, 16), norm="group")  # type: ignore[arg-type]
