"""``python -m parnft``: the same as the ``parnft`` command."""

import sys

from .cli import main

sys.exit(main())
