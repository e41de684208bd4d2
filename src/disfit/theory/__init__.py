"""Theory stage: FK tables in disfit's Parquet format, their importers and exporters."""
