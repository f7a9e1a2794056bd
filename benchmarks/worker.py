"""One measurement in a fresh process: ``python -m benchmarks.worker SPEC_FILE OUT_FILE``
(used by the harness)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .harness import run_one


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    spec = json.loads(Path(argv[0]).read_text())
    result = run_one(spec["module"], spec["group"], spec["side"], spec["ctx"])
    out = Path(argv[1])
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(result))
    tmp.replace(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
