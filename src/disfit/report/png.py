"""A report's figures as PNG files; a module of its own, light to import in the processes that
draw them (Page with cores > 1)."""

from __future__ import annotations

import pickle
from pathlib import Path


def save_png(path: Path, fig) -> Path:
    """`fig` as the PNG every report shows (90 dpi)."""
    fig.savefig(path, dpi=90)
    return path


def save_pickled_png(path: Path, figure: bytes) -> Path:
    """A drawing process's part of Page.figure: `figure` is a Page's own pickle of a matplotlib
    figure, made in the report's process (never read from a file)."""
    import matplotlib

    matplotlib.use("Agg")
    return save_png(path, pickle.loads(figure))
