"""Architectures drawn from the implementations: layer tables, block diagrams and differences.

* :mod:`.summary` builds a registered model's paper configuration on the ``meta`` device, runs it once
  on its example inputs and records a layer table (parameters counted as ``verify`` counts them, shared
  weights once; multiply-adds from torch's FLOP counter, halved) and a trace of what flowed where. It is
  the only module here that imports torch.
* :mod:`.diagram` turns that trace into a Graphviz block diagram: stages, repeated blocks folded
  ("Bottleneck × 6"), tensor shapes on the edges, skip connections and concatenations as their own nodes.
* :mod:`.diff` lines two tables up side by side (``alphatree arch vgg16 --vs alexnet``).
* :mod:`.store` keeps each model's table and diagram in the user's cache, written by ``verify``'s workers,
  so the site never builds a model.

Only :mod:`.summary` imports torch, and only when called; the rest is plain data.
"""
