"""disfit: NNPDF's n3fit for deep-inelastic scattering, as a Snakemake workflow."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("disfit")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0+unknown"
