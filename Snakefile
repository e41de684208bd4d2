# disfit: NNPDF's n3fit for DIS as a Snakemake workflow.  Run: snakemake --cores 2
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/theory.smk"
include: "workflow/rules/fit.smk"
include: "workflow/rules/postfit.smk"
include: "workflow/rules/lhapdf.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/compare.smk"
include: "workflow/rules/closure.smk"
include: "workflow/rules/hyperopt.smk"


rule all:
    default_target: True
    input:
        all_outputs(),
    localrule: True
