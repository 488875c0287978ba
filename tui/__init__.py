"""convex-tui: a terminal console for self-hosted Convex. Importing this package loads nothing else."""

__version__ = "0.1.0"
