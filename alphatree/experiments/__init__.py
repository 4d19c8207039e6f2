"""Mini-experiments: the catalogue's models trained on data that ships offline, with pictures.

:mod:`alphatree.experiments.table` lists them without importing torch (``alphatree experiment list``);
:mod:`alphatree.experiments.run` trains one and stores its result and pictures atomically through
:mod:`alphatree.experiments.store`, which the site reads. The experiments themselves live by family in
:mod:`~alphatree.experiments.classification`, :mod:`~alphatree.experiments.generative`,
:mod:`~alphatree.experiments.autoencoders`, :mod:`~alphatree.experiments.embeddings`,
:mod:`~alphatree.experiments.style` and :mod:`~alphatree.experiments.techniques`; each builds its
networks from the paper modules in ``implementations/`` and never redefines an architecture.
"""
