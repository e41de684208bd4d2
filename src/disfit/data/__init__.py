"""Data stage: NNPDF commondata → Parquet data tables and covariance matrices."""
