"""The import contracts of .importlinter (GUIDE.md section 2) hold for lib/vocspark, and each contract fails on a
deliberate violation planted in a throwaway copy of the package (so the CI check can fail)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONTRACTS = ROOT / ".importlinter"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed (make install)")


def lint(lib: Path, *contracts: str) -> subprocess.CompletedProcess:
    """lint-imports with the repository's contracts on the vocspark package found in ``lib`` (first on the path,
    ahead of the editable install), optionally limited to some contracts."""
    env = dict(os.environ, PYTHONPATH=str(lib))
    limit = [arg for key in contracts for arg in ("--contract", key)]
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", *limit, str(CONTRACTS)],
        cwd=lib.parent, env=env, capture_output=True, text=True, timeout=300,
    )


@pytest.fixture
def package_copy(tmp_path: Path):
    """A copy of lib/vocspark under ``tmp_path/lib``; returns ``(lib, plant)`` where ``plant(module, line)``
    appends an import line to a module of the copy (creating the module if it does not exist)."""
    lib = tmp_path / "lib"
    shutil.copytree(ROOT / "lib" / "vocspark", lib / "vocspark", ignore=shutil.ignore_patterns("__pycache__"))

    def plant(module: str, line: str) -> None:
        path = lib / (module.replace(".", "/") + ".py")
        text = path.read_text(encoding="utf-8") if path.exists() else '"""Planted by tests/test_layers.py."""\n'
        path.write_text(text.rstrip("\n") + f"\n{line}  # planted violation\n", encoding="utf-8")

    return lib, plant


def test_the_package_keeps_every_contract():
    result = lint(ROOT / "lib")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " kept, 0 broken." in result.stdout


def test_the_copy_is_what_gets_checked(package_copy):
    lib, plant = package_copy
    plant("vocspark.io", "from vocspark.jobs import ingest")
    result = lint(lib, "layers")
    assert f"{lib}" not in result.stderr  # no configuration or import error
    assert "vocspark.io -> vocspark.jobs.ingest" in result.stdout  # the planted line, so the copy was analysed


def test_layers_fail_on_an_upward_import_between_independent_siblings_and_an_unplaced_module(package_copy):
    lib, plant = package_copy
    plant("vocspark.io", "from vocspark.jobs import ingest")  # io sits below jobs
    plant("vocspark.analytics.tables", "from vocspark.models import registry")  # models | analytics: independent
    plant("vocspark.sources.amazon", "from vocspark.text import rules")  # text | sources: independent
    plant("vocspark.unplaced", "import json")  # exhaustive: a new top-level module needs a layer
    result = lint(lib, "layers")
    assert result.returncode != 0
    out = result.stdout
    assert "vocspark.io -> vocspark.jobs.ingest" in out
    assert "vocspark.analytics.tables -> vocspark.models.registry" in out
    assert "vocspark.sources.amazon -> vocspark.text.rules" in out
    assert "vocspark.unplaced" in out


def test_a_job_module_importing_another_fails(package_copy):
    lib, plant = package_copy
    plant("vocspark.jobs.drift", "from vocspark.jobs import sample")
    result = lint(lib, "jobs-independent")
    assert result.returncode != 0
    assert "vocspark.jobs.drift -> vocspark.jobs.sample" in result.stdout


def test_demo_imported_outside_the_demo_job_fails_and_the_demo_job_is_allowed(package_copy):
    lib, plant = package_copy
    plant("vocspark.models.topics", "from vocspark.demo import truth")
    plant("vocspark.jobs.analytics", "import vocspark.demo")
    result = lint(lib, "demo-only-in-demo-job")
    assert result.returncode != 0
    out = result.stdout
    assert "vocspark.models.topics -> vocspark.demo.truth" in out
    assert "vocspark.jobs.analytics -> vocspark.demo" in out
    assert "vocspark.jobs.generate_demo_data ->" not in out  # the one allowed importer


def test_an_import_cycle_inside_a_subpackage_fails(package_copy):
    lib, plant = package_copy
    plant("vocspark.text.rules", "from vocspark.text import engines")  # engines imports rules
    result = lint(lib, "acyclic")
    assert result.returncode != 0
    assert "No cycles are allowed in vocspark.text." in result.stdout
