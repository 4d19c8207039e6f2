"""The kit: what several papers share, written and tested once (as timm keeps ``layers/``).

A paper module imports the kit and torch. It imports another paper's module only where it truly
extends that paper's model (CONTRIBUTING.md states the rule). The kit imports torch only.

* :mod:`implementations.kit.smoke`: the smoke-task contract (:class:`~implementations.kit.smoke.SmokeCase`)
  and the classifier case.
* :mod:`implementations.kit.adversarial`: the GAN losses and the GAN smoke case (``gan_case``).
* :mod:`implementations.kit.init`: weight initialisation schemes (normal and uniform, per layer type).
"""
