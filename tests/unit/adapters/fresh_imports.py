"""What a fresh interpreter has loaded after one statement: the import tests' probe, since
this interpreter has loaded every module already."""

import json
import subprocess
import sys
from pathlib import Path

__all__ = ["ROOT", "modules_loaded_by"]

#: A fresh interpreter's import of one adapter takes well under a second; this is the bound.
IMPORT_TIMEOUT_S = 60
ROOT = Path(__file__).resolve().parents[3]


def modules_loaded_by(statement: str) -> set[str]:
    """The names in ``sys.modules`` after ``statement`` ran in a new interpreter."""
    probe = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=IMPORT_TIMEOUT_S,
        check=True,
        cwd=ROOT,
    )
    loaded: list[str] = json.loads(result.stdout)
    return set(loaded)
