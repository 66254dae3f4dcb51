"""What users declare in YAML, read inside tasks: the experiments and the campaign briefs, each from its file (a
variable names it, default in the working directory) and its YAML variable."""

from __future__ import annotations

import logging
from datetime import date

from socialpulse.config import (
    AUDIENCES_FILE_VARIABLE,
    AUDIENCES_VARIABLE,
    DEFAULT_AUDIENCES_FILE,
    DEFAULT_EXPERIMENTS_FILE,
    EXPERIMENTS_FILE_VARIABLE,
    EXPERIMENTS_VARIABLE,
)
from socialpulse_airflow.lookups import declaration_texts

log = logging.getLogger(__name__)


def declared_experiments() -> tuple:
    """The experiments of the file (variable socialpulse_experiments_file, default experiments.yaml of the working
    directory) and of the variable socialpulse_experiments (YAML text); a file named by the variable must exist."""
    from socialpulse.experiments.declarations import ExperimentError, combine, parse

    texts = declaration_texts(
        EXPERIMENTS_FILE_VARIABLE, DEFAULT_EXPERIMENTS_FILE, EXPERIMENTS_VARIABLE, ExperimentError
    )
    declared = [parse(text, source) for text, source in texts]
    experiments = combine(*declared)
    log.info(
        "%d experiments declared: %s",
        len(experiments),
        ", ".join(f"{len(found)} in {source}" for found, (_, source) in zip(declared, texts, strict=True)),
    )
    return experiments


def declared_briefs() -> tuple[tuple, tuple]:
    """(the valid campaign briefs, an error per invalid one) of the file (variable socialpulse_audiences_file,
    default audiences.yaml of the working directory) and the variable socialpulse_audiences (YAML text)."""
    from socialpulse.audience.briefs import BriefError, combine, parse

    texts = declaration_texts(AUDIENCES_FILE_VARIABLE, DEFAULT_AUDIENCES_FILE, AUDIENCES_VARIABLE, BriefError)
    parsed = [parse(text, source) for text, source in texts]
    briefs, repeated = combine(*(found for found, _ in parsed))
    errors = (*(e for _, errs in parsed for e in errs), *repeated)
    log.info(
        "%d campaign briefs declared: %s",
        len(briefs),
        ", ".join(f"{len(found)} in {source}" for (found, _), (_, source) in zip(parsed, texts, strict=True)),
    )
    return briefs, errors


def running_controls(ds: str) -> list[tuple[str, str]]:
    """(crm_column, control group) of each experiment on CRM groups running on ds: no audience may touch them."""
    day = date.fromisoformat(ds)
    return [
        (e.crm_column, e.control.crm_group)
        for e in declared_experiments()
        if e.crm_column and e.start_date <= day and (e.end_date is None or day <= e.end_date)
    ]
