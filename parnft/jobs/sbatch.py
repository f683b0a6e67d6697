"""sbatch values a run job reads: the time limit and the warning signal.

A ``run`` job (``parnft jobs render run``) asks SLURM for a signal some
seconds before its time limit (``#SBATCH --signal=B:SIG@SECONDS``), on which
``parnft run`` checkpoints and exits 75 (docs/checkpoint.md). The signal must
be one that ``parnft run`` catches (:data:`parnft.parallel.stop.STOP_SIGNALS`),
and the lead time must be shorter than the limit, or no allocation would get
anywhere before its warning.
"""

from __future__ import annotations

import re

from parnft.errors import ConfigError

__all__ = ["SIGNAL_DEFAULT_LEAD", "TIME", "limit_seconds", "parse_signal"]

#: sbatch --time: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS.
TIME = re.compile(r"^(\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d+(:\d{1,2}){0,2})$")
#: sbatch --signal of a run job: [B:][SIG]NAME[@SECONDS], NAME one that parnft run
#: catches (parnft.parallel.stop.STOP_SIGNALS), by name (numbers differ between systems).
_SIGNAL = re.compile(r"^(B:)?(?:SIG)?(USR1|TERM|INT|XCPU)(?:@(\d+))?$")
#: sbatch's lead time when --signal gives none [s] (sbatch(1)).
SIGNAL_DEFAULT_LEAD = 60


def limit_seconds(text: str) -> int:
    """An sbatch ``--time`` value in seconds.

    Parameters
    ----------
    text : str
        MINUTES, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS (sbatch(1)).

    Returns
    -------
    int

    Raises
    ------
    ConfigError
        When ``text`` is none of those forms.
    """
    if not TIME.match(text or ""):
        raise ConfigError(f"parnft jobs render: --time-limit {text!r}: not a SLURM time; "
                          "use MINUTES, HH:MM:SS or D-HH:MM:SS, e.g. 00:30:00")
    days, _, rest = text.rpartition("-")
    parts = [int(p) for p in rest.split(":")]
    if days:  # D-HH[:MM[:SS]]
        h, m, sec = (parts + [0, 0])[:3]
    elif len(parts) == 1:  # MINUTES
        h, m, sec = 0, parts[0], 0
    elif len(parts) == 2:  # MM:SS
        h, (m, sec) = 0, parts
    else:
        h, m, sec = parts
    return ((int(days or 0) * 24 + h) * 60 + m) * 60 + sec


def parse_signal(text: str) -> tuple[str, int]:
    """The signal name and lead time [s] of a run job's ``--signal`` (``B:`` optional).

    Parameters
    ----------
    text : str
        ``[B:][SIG]NAME[@SECONDS]``, NAME one of USR1, TERM, INT, XCPU: the
        signals ``parnft run`` answers with a checkpoint (any other kills it).

    Returns
    -------
    (str, int)
        E.g. ``("USR1", 180)``; the lead defaults to sbatch's 60 s.

    Raises
    ------
    ConfigError
        For anything else.
    """
    m = _SIGNAL.match(text or "")
    if not m:
        raise ConfigError(f"parnft jobs render: --signal {text!r}: not a signal parnft run "
                          "checkpoints on, in sbatch --signal form; give [B:]SIG[@SECONDS] "
                          "with SIG one of USR1, TERM, INT, XCPU, e.g. USR1@180")
    return m.group(2), int(m.group(3)) if m.group(3) else SIGNAL_DEFAULT_LEAD
