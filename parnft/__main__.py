"""``python -m parnft``: the same as the ``parnft`` command."""

from .cli import entry

entry()
