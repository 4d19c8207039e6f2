"""``python -m alphatree`` runs the CLI."""

from alphatree.cli import main

main()
