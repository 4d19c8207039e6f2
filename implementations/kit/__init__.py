"""The kit: what several papers share, written and tested once (as timm keeps ``layers/``).

A paper module imports the kit and torch. It imports another paper's module only where the paper
truly extends or uses that paper's model, never an older paper from a newer one (CONTRIBUTING.md
states the rule). The kit imports torch only, never a paper module; each module has its tests in
``tests/test_kit_<module>.py``.

The smoke contract and the cases built on it:

* :mod:`~implementations.kit.smoke`: the contract (:class:`~implementations.kit.smoke.SmokeCase`),
  seeded synthetic images and labels, and the classifier case.
* :mod:`~implementations.kit.loss_case`: the case of a model trained on one objective by one optimiser.
* :mod:`~implementations.kit.adversarial`: GAN losses (minimax, non-saturating, Wasserstein), the
  gradient penalty, :class:`~implementations.kit.adversarial.GANPair` and the GAN cases
  (``gan_case``, ``adversarial_case``).
* :mod:`~implementations.kit.progressive`: the case of a progressively grown GAN (ProGAN's recipe).
* :mod:`~implementations.kit.detection_smoke`: synthetic ground truth and proposals, the detector case.
* :mod:`~implementations.kit.inception_features`: the frozen Inception features the GAN metrics read.
* :mod:`~implementations.kit.optim`: the parameter-wise optimiser base and the digits case of the
  from-scratch optimisers.

Layers and geometry:

* :mod:`~implementations.kit.boxes`: IoU, the R-CNN box encoding, greedy NMS, anchors.
* :mod:`~implementations.kit.gan_layers`: equalised learning rate, FIR filtering and resampling,
  minibatch standard deviation, pixel norm, the mapping network, modulated convolution.
* :mod:`~implementations.kit.conv`: the convolution + batch norm (+ ReLU) block.
* :mod:`~implementations.kit.spectral_norm`: spectral normalisation, one power iteration per training step.
* :mod:`~implementations.kit.linear_classifier`: linear classifiers with hand-derived gradients.
* :mod:`~implementations.kit.init`: weight initialisation schemes (normal and uniform, per layer type).
"""
