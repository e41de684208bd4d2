"""The package's layout: stages import only lower stages, the CLI only parses and calls, each
basis, positivity/integrability set and file format is defined in one module, and the config
schema's defaults list the sets of disfit.constraints."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from disfit import constraints
from disfit.config import schema

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "disfit"
#: the stages in pipeline order; io and the top-level modules sit below all of them
STAGES = (
    "data",
    "theory",
    "fit",
    "postfit",
    "lhapdf",
    "closure",
    "hyperopt",
    "report",
    "compare",
    "iterate",
    "export",
)
#: top-level modules that may reach into the stages: the config check of every stage
CHECKERS = {"checks.py"}
#: what the command line may import besides itself: never a numerical library
NUMERICAL = {"numpy", "scipy", "pandas", "pyarrow", "tensorflow", "keras", "eko", "yadism"}


def _modules() -> list[tuple[Path, ast.Module]]:
    return [(p, ast.parse(p.read_text())) for p in sorted(PACKAGE.rglob("*.py"))]


def _imports(tree: ast.Module) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names += [a.name for a in node.names]
    return names


def _home(path: Path) -> str:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else "top"


def test_no_stage_imports_a_later_one():
    wrong = []
    for path, tree in _modules():
        home = _home(path)
        for name in _imports(tree):
            target = name.split(".")[1] if name.startswith("disfit.") else None
            if target not in STAGES:
                continue
            if home in STAGES and STAGES.index(target) > STAGES.index(home):
                wrong.append(f"{path.relative_to(PACKAGE)} imports {name}")
            if home in ("io", "top") and path.name not in CHECKERS:
                wrong.append(f"{path.relative_to(PACKAGE)} ({home}) imports the stage {name}")
    assert not wrong, wrong


def test_the_cli_only_parses_and_calls():
    for path, tree in _modules():
        if _home(path) != "cli":
            continue
        numerical = {n for n in _imports(tree) if n.split(".")[0] in NUMERICAL}
        assert not numerical, f"{path.name} imports {numerical}"
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("_"):
                # a command: its imports, then one call into the package (at most two lines)
                work = [s for s in node.body if not isinstance(s, ast.ImportFrom)]
                assert len(work) <= 2, f"{path.name}:{node.name} does more than call"


def _assignments(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        targets += [node.target] if isinstance(node, ast.AnnAssign) else []
        names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


@pytest.mark.parametrize(
    "name, home",
    [
        *(
            (n, "basis.py")
            for n in (
                "FK_BASIS",
                "FK_PIDS",
                "FLAVOUR_PIDS",
                "FITTED_BASIS",
                "EXPORTGRID_LABELS",
                "EXPORTGRID_PIDS",
                "EVOLUTION_ROTATION",
                "FIT_ROTATION",
            )
        ),
        *(
            (n, "constraints.py")
            for n in (
                "POSITIVITY_STRUCTURE_FUNCTIONS",
                "POSITIVITY_PDFS",
                "INTEGRABILITY",
                "INTEGRABILITY_DEFAULT",
                "POSITIVITY_X_RULES",
                "POSITIVITY_Q2",
                "INTEGRABILITY_TABLE_X",
                "INTEGRABILITY_CHECK_X",
            )
        ),
    ],
)
def test_each_basis_and_set_is_defined_once(name, home):
    where = [p.relative_to(PACKAGE).as_posix() for p, t in _modules() if name in _assignments(t)]
    assert where == [home]


def test_each_file_format_lives_in_one_io_module():
    """Every disfit file schema (the Parquet header's `schema`) is named in one io module."""
    homes: dict[str, list[str]] = {}
    for path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if node.value.startswith("disfit.") and node.value.count(".") == 1:
                    homes.setdefault(node.value, []).append(path.relative_to(PACKAGE).as_posix())
    formats = {
        k: v
        for k, v in homes.items()
        if k.split(".")[1]
        in {"data", "covmat", "fktable", "evolution", "exportgrid", "chi2history"}
    }
    assert set(formats) == {
        "disfit.data",
        "disfit.covmat",
        "disfit.fktable",
        "disfit.evolution",
        "disfit.exportgrid",
        "disfit.chi2history",
    }
    for name, where in formats.items():
        assert len(set(where)) == 1 and where[0].startswith("io/"), (name, where)


def test_schema_defaults_list_the_constraint_sets():
    fit = schema()["properties"]["fit"]["properties"]
    positivity = fit["positivity"]["properties"]["datasets"]
    integrability = fit["integrability"]["properties"]["datasets"]
    assert positivity["default"] == [
        {"dataset": n, "maxlambda": constraints.POSITIVITY_MAXLAMBDA}
        for n in constraints.POSITIVITY
    ]
    assert integrability["default"] == [
        {"dataset": n, "maxlambda": constraints.INTEGRABILITY_MAXLAMBDA}
        for n in constraints.INTEGRABILITY_DEFAULT
    ]
    assert set(constraints.INTEGRABILITY_DEFAULT) <= set(constraints.INTEGRABILITY)
    assert positivity["items"]["properties"]["maxlambda"]["default"] == (
        constraints.POSITIVITY_MAXLAMBDA
    )
    assert integrability["items"]["properties"]["maxlambda"]["default"] == (
        constraints.INTEGRABILITY_MAXLAMBDA
    )
