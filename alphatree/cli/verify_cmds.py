from alphatree.cli import app  # noqa: F401  (verify commands: to be written)
