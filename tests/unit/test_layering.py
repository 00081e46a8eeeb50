"""tooling.layering: our modules follow the import rule, and the rule fails when one does not.

Also the one boundary an import rule cannot see by itself: the hub's processes load none of
the tooling, which the ``hub`` command imports only when a tooling command runs.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tooling.layering import LAYERS, OUR_PACKAGES, Breach, check

ROOT = Path(__file__).resolve().parents[2]


def _described(breaches: list[Breach], root: Path) -> list[str]:
    return [breach.describe(root) for breach in breaches]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of our packages' sources, to break on purpose."""
    for package in OUR_PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=_not_python)
    return tmp_path


def _not_python(folder: str, names: list[str]) -> set[str]:
    return {n for n in names if not n.endswith(".py") and not (Path(folder) / n).is_dir()}


def test_our_modules_follow_the_import_rule() -> None:
    assert _described(check(ROOT), ROOT) == []


def test_every_rule_covers_a_module_that_exists() -> None:
    # Given the rule keys and the modules of the tree
    modules = {
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for package in OUR_PACKAGES
        for p in (ROOT / package).rglob("*.py")
    }
    # Then no key is left over from a module that moved away
    stale = [
        key
        for key in LAYERS
        if not any(
            m == key.removesuffix(".*") or m.startswith(key.removesuffix("*")) for m in modules
        )
    ]
    assert stale == []


def test_a_schemas_module_that_imports_the_hub_fails_and_is_named(tree: Path) -> None:
    # Given schemas/parser.py importing the hub
    with (tree / "schemas" / "parser.py").open("a", encoding="utf-8") as module:
        module.write("\nimport hub\n")
    # When the check runs as make lint runs it
    result = subprocess.run(
        [sys.executable, "-m", "tooling.layering", "--root", str(tree)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    # Then it fails and names the file, the line and the import
    assert result.returncode == 1
    lines = (tree / "schemas" / "parser.py").read_text(encoding="utf-8").count("\n")
    assert f"schemas/parser.py:{lines}: schemas.parser may not import hub " in result.stderr


def test_a_module_no_rule_covers_fails(tree: Path) -> None:
    (tree / "hub" / "newcomer.py").write_text('"""A module nobody placed."""\n', encoding="utf-8")
    assert _described(check(tree), tree) == [
        "hub/newcomer.py:1: no layering rule covers hub.newcomer; "
        "add one to LAYERS in tooling/layering.py"
    ]


@pytest.mark.parametrize(
    ("module", "line", "imported"),
    [
        ("hub/api/deps.py", "from hub.web import auth", "hub.web.auth"),
        ("hub/api/deps.py", "from ..web import auth", "hub.web.auth"),
        ("hub/cases/queries.py", "import queues", "queues"),
        ("adapters/base.py", "from hub import store", "hub.store"),
        ("queues/lanes.py", "from tooling import rig", "tooling.rig"),
        ("hub/runtime.py", "def later():\n    import tooling.bench", "tooling.bench"),
        # The simulators speak natively to their gateways: no hub client, no signing.
        ("adapters/social/simulator.py", "from adapters import hub_client", "adapters.hub_client"),
        ("adapters/police/simulator.py", "import signing", "signing"),
        (
            "adapters/simulation.py",
            "from adapters.hub_client import HubClient",
            "adapters.hub_client.HubClient",
        ),
        (
            "adapters/kdn/simulator.py",
            "from adapters.gateway import intake",
            "adapters.gateway.intake",
        ),
    ],
)
def test_an_import_across_the_rule_is_caught(
    tree: Path, module: str, line: str, imported: str
) -> None:
    with (tree / module).open("a", encoding="utf-8") as source:
        source.write(f"\n{line}\n")
    found = check(tree)
    assert [(b.path.relative_to(tree).as_posix(), b.imported) for b in found] == [
        (module, imported)
    ]


def test_make_lint_runs_the_check() -> None:
    dry_run = subprocess.run(
        ["make", "-n", "lint"], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert "-m tooling.layering" in dry_run.stdout


def test_the_hubs_processes_load_none_of_the_tooling() -> None:
    # Given what hub serve and hub worker import: the command app with its serve and worker
    # commands, the HTTP app, the worker and the deadline job
    probe = """
import sys
import typer
from hub.cli import app
import hub.app, hub.escalation, queues.worker
group = typer.main.get_group(app)
context = group.make_context("hub", ["serve"])
assert group.get_command(context, "serve") is not None
assert group.get_command(context, "worker") is not None
print(sorted(m for m in sys.modules if m.split(".")[0] == "tooling"))
assert group.get_command(context, "bench") is not None
print(sorted(m for m in sys.modules if m == "tooling.bench"))
"""
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    )
    # Then none of the tooling is loaded, until a tooling command is asked for
    assert result.stdout.splitlines() == ["[]", "['tooling.bench']"]


def test_hub_worker_loads_no_http_app() -> None:
    # Given what `hub worker` imports: its command's module, resolved as the CLI resolves it
    probe = """
import sys
import typer
from hub.cli import app
group = typer.main.get_group(app)
command = group.get_command(group.make_context("hub", ["worker"]), "worker")
assert command is not None
print(sorted(m for m in sys.modules if m.split(".")[0] in {"fastapi", "starlette"}))
print(sorted(m for m in sys.modules if m.startswith("hub.api")))
"""
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    )
    # Then neither FastAPI nor the API's routes are loaded: each worker process starts faster
    assert result.stdout.splitlines() == ["[]", "[]"]
