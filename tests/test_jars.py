"""The jar list: the PostgreSQL driver is past its known CVEs, and the audit fails on a listed version."""
import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from vocspark import jars

ROOT = Path(__file__).resolve().parents[1]


def _pgjdbc() -> jars.Artifact:
    return next(a for a in jars.JARS if a.artifact == "postgresql")


def test_configured_jars_pass_the_audit_and_the_driver_is_upgraded():
    assert _pgjdbc().version == "42.7.14"
    assert jars.audit() == []
    known = jars.read_known_vulnerable()
    assert "CVE-2025-49146" in known["org.postgresql:postgresql:42.7.4"]
    assert "CVE-2026-54291" in known["org.postgresql:postgresql:42.7.11"]


def test_audit_fails_on_a_listed_version():
    old = dataclasses.replace(_pgjdbc(), version="42.7.4")
    findings = jars.audit((old, *[a for a in jars.JARS if a.artifact != "postgresql"]))
    assert len(findings) == 1
    assert findings[0].startswith("org.postgresql:postgresql:42.7.4: CVE-2025-49146")


def test_audit_command_exit_code(tmp_path):
    listed = tmp_path / "vuln.txt"
    listed.write_text(f"# comment\n{_pgjdbc().coordinate} CVE-2099-0001  # made up\n")
    cmd = [sys.executable, "-m", "vocspark.jars", "audit", "--known-vulnerable"]
    bad = subprocess.run(cmd + [str(listed)], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 1 and "CVE-2099-0001" in bad.stderr and "42.7.14" in bad.stderr
    good = subprocess.run(cmd + [str(jars.KNOWN_VULNERABLE)], capture_output=True, text=True, cwd=ROOT)
    assert good.returncode == 0, good.stderr


@pytest.mark.parametrize("line", ["org.postgresql:postgresql 42.7.4 CVE-2025-49146", "a:b:1", "a:b:1 hunter2"])
def test_a_malformed_list_line_fails_naming_the_line(tmp_path, line):
    listed = tmp_path / "vuln.txt"
    listed.write_text("# ok\n\n" + line + "\n")
    with pytest.raises(ValueError, match=r"vuln\.txt:3"):
        jars.read_known_vulnerable(listed)


def test_fetched_driver_is_the_configured_one():
    names = [Path(p).name for p in jars.local_jars()]
    assert "postgresql-42.7.14.jar" in names and not any(n.startswith("postgresql-42.7.4") for n in names)
