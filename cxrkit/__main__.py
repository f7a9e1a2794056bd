"""``python -m cxrkit``: the ``cxrkit`` command (:mod:`cxrkit.cli`), as ``python -m pip`` is pip."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
