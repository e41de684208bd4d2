"""Closure tests: data made from a known PDF (the law) through the fit's FK tables, fits to it,
and NNPDF's estimators of how faithfully the fits recover the law (docs/closure.md)."""
