"""The run configuration: one JSON schema (workflow/schemas/config.schema.yaml) for Snakemake
and the CLI, with errors reduced to one line naming the key and the fix."""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from disfit.errors import DisfitError


def schema() -> dict[str, Any]:
    """The config schema shipped with the package (a fresh copy: callers may change it)."""
    return copy.deepcopy(_schema())


@functools.cache
def _schema() -> dict[str, Any]:
    return yaml.safe_load(files("disfit").joinpath("schemas/config.schema.yaml").read_text())


def _with_defaults(validator_class):
    """A validator that fills in schema defaults while it validates (as snakemake's does)."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, sub_schema):
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub and name not in instance:
                    instance[name] = copy.deepcopy(sub["default"])
        yield from validate_properties(validator, properties, instance, sub_schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


def with_defaults(section: str, values: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A copy of one top-level config section with the schema's defaults filled in: the schema
    is the one source of defaults, also for callers that hold only part of a config."""
    sub = _schema()["properties"][section]  # read only: defaults are deep-copied when filled
    filled = copy.deepcopy(dict(values or {}))
    validator = _with_defaults(jsonschema.Draft202012Validator)(sub)
    error = jsonschema.exceptions.best_match(validator.iter_errors(filled))
    if error is not None:
        raise DisfitError(f"key {section}{_key_path(error, '.')}: {error.message}")
    return filled


def _key_path(error: jsonschema.ValidationError, prefix: str = "") -> str:
    parts = []
    for p in error.absolute_path:
        parts.append(f"[{p}]" if isinstance(p, int) else (f".{p}" if parts or prefix else str(p)))
    return "".join(parts) or ("" if prefix else "(top level)")


def validate_config(
    config: dict[str, Any], source: str = "config", part: bool = False
) -> dict[str, Any]:
    """Validate `config` in place, filling defaults; raise DisfitError naming the bad key.
    With `part`, `config` may hold only some sections (what the workflow hands a job)."""
    sch = schema()
    if part:
        sch.pop("required", None)
    validator = _with_defaults(jsonschema.Draft202012Validator)(sch)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        error = jsonschema.exceptions.best_match(errors)
        hint = ""
        if error.validator == "additionalProperties":
            allowed = sorted((error.schema.get("properties") or {}).keys())
            hint = f"; allowed keys: {', '.join(allowed)}"
        elif error.validator == "enum":
            hint = f"; choose one of {error.validator_value}"
        raise DisfitError(f"{source}: key {_key_path(error)}: {error.message}{hint}")
    _check_consistency(config, source)
    return config


def _check_consistency(config: dict[str, Any], source: str) -> None:
    """What a schema cannot say: relations between keys."""
    fit = config.get("fit", {})
    if fit.get("replicas_per_job", 0) > fit.get("replicas", 0):
        raise DisfitError(
            f"{source}: key fit.replicas_per_job ({fit['replicas_per_job']}) exceeds fit.replicas "
            f"({fit['replicas']}); lower it to at most fit.replicas"
        )
    nodes, activations = fit.get("nodes_per_layer", []), fit.get("activation_per_layer", [])
    if len(nodes) != len(activations):
        raise DisfitError(
            f"{source}: key fit.activation_per_layer has {len(activations)} entries for "
            f"{len(nodes)} layers in fit.nodes_per_layer; give one activation per layer"
        )
    if nodes and nodes[-1] != 8:
        raise DisfitError(
            f"{source}: key fit.nodes_per_layer must end with 8 (the EVOL fitted flavours), "
            f"not {nodes[-1]}"
        )
    flavours = [b["fl"] for b in fit.get("basis", [])]
    if len(set(flavours)) != len(flavours):
        raise DisfitError(f"{source}: key fit.basis lists a flavour twice: {flavours}")
    for b in fit.get("basis", []):
        for key in ("smallx", "largex"):
            low, high = b[key]
            if low > high:
                raise DisfitError(
                    f"{source}: key fit.basis ({b['fl']}).{key}: [{low}, {high}] is not [min, max]"
                )
    datasets = [d["dataset"] for d in config.get("datasets", [])]
    repeated = sorted({d for d in datasets if datasets.count(d) > 1})
    if repeated:
        raise DisfitError(f"{source}: key datasets lists {repeated} twice; keep one entry each")


def load_config(path: str | Path) -> dict[str, Any]:
    """Read and validate a YAML config file."""
    path = Path(path)
    if not path.is_file():
        raise DisfitError(f"{path}: config file not found")
    try:
        config = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise DisfitError(
            f"{path}:{where} malformed YAML ({getattr(exc, 'problem', exc)})"
        ) from None
    if not isinstance(config, dict):
        raise DisfitError(f"{path}: a config must be a YAML mapping of keys to values")
    return validate_config(config, str(path))


def config_from_json(text: str, source: str = "--config-json") -> dict[str, Any]:
    """The part of a config the workflow hands a job, as JSON, validated."""
    try:
        config = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DisfitError(f"{source}: not valid JSON ({exc})") from None
    if not isinstance(config, dict):
        raise DisfitError(f"{source}: a config must be a JSON object of sections")
    return validate_config(config, source, part=True)
