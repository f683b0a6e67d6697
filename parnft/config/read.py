"""Reading a model: the reader's stages in order, from bytes to a checked spec.

:mod:`parnft.config.nftsim` splits the text into words and keys,
:mod:`parnft.config.dynamics` loads plugins named in it,
:mod:`parnft.config.blocks` interprets the keys, :mod:`parnft.config.build`
makes the :class:`~parnft.config.spec.ModelSpec`, :mod:`parnft.config.checks`
validates it and :mod:`parnft.config.advice` adds warnings. This module sits
above them all (nothing below imports it), so the stages form no cycle.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from parnft.config import advice, blocks, build, checks, dynamics, mapcheck
from parnft.config.nftsim import Reporter, control_characters, items, read_bytes, tokenize
from parnft.errors import ConfigError, StabilityError


def read_text(text: str, path: str = "<string>", validate: bool = True):
    """Read a model from ``.conf`` text; see :func:`parnft.config.parse_config`."""
    rep = Reporter(path)
    if control_characters(text, rep):
        raise ConfigError(rep.problems)
    header, words, last_line = tokenize(text)
    seq = items(words)
    plugins = dynamics.preload(seq, rep, path)  # their kinds must be known to the reader
    root = blocks.interpret(seq, rep)
    spec, broken = build.build(root, rep, path=path, text=text, header=header,
                               last_line=last_line)
    spec = dataclasses.replace(spec, plugins=plugins) if plugins else spec
    problems = list(rep.problems)
    if rep.maps:  # per-node maps: allowed keys, file, dataset, shape, NaN
        spec, found = mapcheck.resolve(spec, rep.maps, grid_ok="grid" not in broken)
        problems += found
    warnings = list(rep.warnings)
    if validate:
        problems += mapcheck.check(spec, broken, lambda s, b: checks.check(s, skip=b))
        if not problems:
            warnings += advice.warnings(spec)
    problems.sort(key=lambda p: p.line)  # stable: same-line problems keep their order
    if problems:
        if any(checks.is_stability(p) for p in problems):
            raise StabilityError(problems)
        raise ConfigError(problems)
    warnings.sort(key=lambda p: p.line)
    return dataclasses.replace(spec, warnings=tuple(warnings))


def read_path(path: str | Path, validate: bool = True):
    """Read a model from a ``.conf`` file; see :func:`parnft.config.read_config`.

    At most :data:`MAX_BYTES` are read. Bytes that are not UTF-8 become U+FFFD
    (they are harmless in the free header and rejected as words elsewhere).
    """
    text = read_bytes(path).decode("utf-8", errors="replace")
    return read_text(text, path=str(path), validate=validate)
