"""Join the CSV files of a job array (one per task) into one file."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from parnft.errors import ConfigError


def _natural(p: Path):
    """Sort key: ``bench-task10.csv`` after ``bench-task9.csv``."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", str(p))]


def csv_files(inputs: list[str]) -> list[Path]:
    """CSV files named by ``inputs`` (files, or folders searched for ``*.csv``), in order."""
    out: list[Path] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            out += sorted(p.glob("*.csv"), key=_natural)
        elif p.is_file():
            out.append(p)
        else:
            raise ConfigError(f"parnft jobs collect: {item}: no such file or folder")
    return out


def collect(inputs: list[str], output: str) -> int:
    """Write the rows of every input CSV under one header to ``output``.

    Parameters
    ----------
    inputs : list of str
        CSV files or folders (their ``*.csv``, in natural order); ``output``
        itself is skipped if it lies among them.
    output : str
        The joined CSV.

    Returns
    -------
    int
        Number of rows written.

    Raises
    ------
    ConfigError
        If there is no input, or two inputs have different headers.
    """
    files = [f for f in csv_files(inputs) if f.resolve() != Path(output).resolve()]
    if not files:
        raise ConfigError(f"parnft jobs collect: no CSV files in {' '.join(inputs)}")
    header, rows = None, []
    for f in files:
        with open(f, newline="") as fh:
            reader = csv.reader(fh)
            head = next(reader, None)
            if head is None:
                continue
            if header is None:
                header = head
            elif head != header:
                raise ConfigError(f"parnft jobs collect: {f} has other columns than "
                                  f"{files[0]}; join only files of one kind")
            rows += [r for r in reader if r]
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    with open(output, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header or [])
        w.writerows(rows)
    return len(rows)
