"""File formats, apart from the stages that use them (as eko's `eko.io`): one module per format.

- `atomic`: atomic files and folders; `parquet`: disfit's self-describing Parquet files;
- `datatable`, `covmat`, `fktable`, `coefficients`, `operator`, `replica`: disfit's own tables;
- `lhapdf` (lhagrid1 sets), `exportgrid` (n3fit's YAML), `pineappl` (FK tables),
  `pickles` (n3fit's pickles), `cfactors` (NNPDF's C-factor files): other tools' formats.
"""
