"""AlphaTree: the history of deep learning as a knowledge graph where every paper runs.

The package is a library with a thin Typer CLI on top (``alphatree.cli``). Importing it is cheap:
nothing here imports torch; only :mod:`alphatree.verify` reaches the ``implementations`` package,
and it does so lazily, inside worker processes.
"""

__version__ = "0.1.0"
