"""Reading and checking NFTsim ``.conf`` model files.

>>> from parnft.config import read_config
>>> spec = read_config("model.conf")   # doctest: +SKIP

:func:`read_config` and :func:`parse_config` read a model and apply every
validation rule; they raise :class:`~parnft.errors.ConfigError` (or
:class:`~parnft.errors.StabilityError` when a Courant condition is violated)
carrying every problem found, one per line. The grammar and the rules are in
``docs/config.md``.
"""

from __future__ import annotations

from pathlib import Path

from parnft.config.spec import (
    Connection,
    CouplingSpec,
    DendriteSpec,
    FiringSpec,
    GridSpec,
    ModelSpec,
    OutputSpec,
    Params,
    PopulationSpec,
    PropagatorSpec,
    StimulusSpec,
    TimeSpec,
)

__all__ = [
    "Connection",
    "CouplingSpec",
    "DendriteSpec",
    "FiringSpec",
    "GridSpec",
    "ModelSpec",
    "OutputSpec",
    "Params",
    "PopulationSpec",
    "PropagatorSpec",
    "StimulusSpec",
    "TimeSpec",
    "describe",
    "parse_config",
    "read_config",
]


def read_config(path: str | Path, validate: bool = True) -> ModelSpec:
    """Read and check a model file.

    Parameters
    ----------
    path : str or Path
        An NFTsim ``.conf`` file.
    validate : bool, optional
        Apply the validation rules (default). With False only reading
        problems (syntax, unknown keys or kinds, structure) are raised.

    Returns
    -------
    ModelSpec
        The model; every object's ``loc`` maps its keys to source lines.

    Raises
    ------
    ConfigError
        With one :class:`~parnft.errors.Problem` per thing wrong, sorted by line.
    StabilityError
        Instead of ConfigError when any problem is a Courant-condition violation.
    """
    from parnft.config.read import read_path

    return read_path(path, validate=validate)


def parse_config(text: str, path: str = "<string>", validate: bool = True) -> ModelSpec:
    """Read and check a model given as text.

    Parameters
    ----------
    text : str
        The contents of a ``.conf`` file.
    path : str, optional
        Name used in problems and stored in the spec.
    validate : bool, optional
        Apply the validation rules (default).

    Returns
    -------
    ModelSpec

    Raises
    ------
    ConfigError, StabilityError
        As :func:`read_config`.
    """
    from parnft.config.read import read_text

    return read_text(text, path=path, validate=validate)


def describe(spec: ModelSpec, nranks: int = 1) -> str:
    """Short human summary of a model; see :func:`parnft.config.summary.describe`."""
    from parnft.config.summary import describe as _describe

    return _describe(spec, nranks=nranks)
