"""The JVM dependencies of VoC Spark: the one list that local runs, EMR and Glue deployment all use.

Locally, ``python -m vocspark.jars fetch`` (run by ``make jars``) writes a Maven POM from this list and copies
the jars and the transitive dependencies that Spark does not already ship into ``.cache/jars/lib``; the session
builder adds them with ``spark.jars``. EMR steps pass the same coordinates with ``--packages`` (and the
exclusions with ``spark.jars.excludes``); Glue jobs get the fetched jars uploaded to S3 and named in
``--extra-jars``.

Versions follow the Spark that Glue 5.1 and EMR 7 run (3.5.6, Scala 2.12, Hadoop 3.3.4):
hadoop-aws must equal pyspark's Hadoop version, and aws-java-sdk-bundle is the one hadoop-aws 3.3.4 was built
with (1.12.262).

``python -m vocspark.jars audit`` (in ``make lint``) fails when a jar of this list is on
``conf/known-vulnerable-jars.txt`` (``group:artifact:version CVE-...`` per line, kept by hand: pip-audit and
OSV-style services are not reachable from the build machines).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

HADOOP_VERSION = "3.3.4"
SPARK_NLP_VERSION = "5.5.3"


@dataclass(frozen=True)
class Artifact:
    group: str
    artifact: str
    version: str
    # Transitive dependencies left out: either Spark already ships them, or they are the deep-learning
    # runtimes spark-nlp only needs for pretrained models (and that Maven Central does not serve).
    exclusions: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def coordinate(self) -> str:
        return f"{self.group}:{self.artifact}:{self.version}"


SPARK_NLP_EXCLUSIONS = (
    ("com.johnsnowlabs.nlp", "tensorflow-cpu_2.12"),
    ("com.johnsnowlabs.nlp", "jsl-llamacpp-cpu_2.12"),
    ("com.johnsnowlabs.nlp", "jsl-openvino-cpu_2.12"),
    ("com.microsoft.onnxruntime", "onnxruntime"),
    ("com.google.cloud", "google-cloud-storage"),
    ("com.amazonaws", "aws-java-sdk-s3"),
    ("org.apache.poi", "poi-ooxml"),
    ("org.apache.poi", "poi-scratchpad"),
    ("org.rocksdb", "rocksdbjni"),
    ("org.scala-lang", "scala-library"),
    ("jakarta.mail", "jakarta.mail-api"),
    ("org.eclipse.angus", "angus-mail"),
)

JARS: tuple[Artifact, ...] = (
    Artifact("com.johnsnowlabs.nlp", "spark-nlp_2.12", SPARK_NLP_VERSION, SPARK_NLP_EXCLUSIONS),
    Artifact("org.apache.hadoop", "hadoop-aws", HADOOP_VERSION),
    Artifact("com.amazonaws", "aws-java-sdk-bundle", "1.12.262"),
    Artifact("org.postgresql", "postgresql", "42.7.14"),
)

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CACHE = Path(os.environ.get("VOCSPARK_JAR_CACHE", ROOT / ".cache" / "jars"))
KNOWN_VULNERABLE = ROOT / "conf" / "known-vulnerable-jars.txt"


def read_known_vulnerable(path: Path = KNOWN_VULNERABLE) -> dict[str, tuple[str, ...]]:
    """``group:artifact:version`` -> its CVE ids, from the list file (``#`` starts a comment). A line that is not
    ``group:artifact:version CVE-...`` fails naming the file and line: a typo must not hide a version."""
    found: dict[str, tuple[str, ...]] = {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        coordinate, cves = words[0], words[1:]
        if coordinate.count(":") != 2 or not all(coordinate.split(":")) or not cves or not all(
            c.upper().startswith(("CVE-", "GHSA-")) for c in cves
        ):
            raise ValueError(f"{path}:{number}: expected `group:artifact:version CVE-...`, got {line.strip()!r}")
        found[coordinate] = found.get(coordinate, ()) + tuple(cves)
    return found


def audit(artifacts: tuple[Artifact, ...] = JARS, path: Path = KNOWN_VULNERABLE) -> list[str]:
    """One line per configured jar whose exact version is on the known-vulnerable list (empty: all clear)."""
    known = read_known_vulnerable(path)
    return [
        f"{a.coordinate}: {' '.join(known[a.coordinate])} (listed in {path})"
        for a in artifacts
        if a.coordinate in known
    ]


def packages_arg() -> str:
    """Value for ``--packages`` / ``spark.jars.packages`` (EMR steps)."""
    return ",".join(a.coordinate for a in JARS)


def excludes_arg() -> str:
    """Value for ``spark.jars.excludes`` matching the Maven exclusions."""
    pairs = sorted({pair for a in JARS for pair in a.exclusions})
    return ",".join(f"{g}:{a}" for g, a in pairs)


def pom_xml() -> str:
    deps = []
    for art in JARS:
        excl = "".join(
            f"<exclusion><groupId>{g}</groupId><artifactId>{a}</artifactId></exclusion>" for g, a in art.exclusions
        )
        deps.append(
            f"    <dependency><groupId>{art.group}</groupId><artifactId>{art.artifact}</artifactId>"
            f"<version>{art.version}</version>" + (f"<exclusions>{excl}</exclusions>" if excl else "") + "</dependency>"
        )
    return (
        '<project xmlns="http://maven.apache.org/POM/4.0.0">\n'
        "  <modelVersion>4.0.0</modelVersion>\n"
        "  <groupId>io.vocspark</groupId><artifactId>vocspark-jars</artifactId><version>1</version>\n"
        "  <dependencies>\n" + "\n".join(deps) + "\n  </dependencies>\n</project>\n"
    )


def jar_dir(cache: Path = DEFAULT_CACHE) -> Path:
    return Path(cache) / "lib"


def local_jars(cache: Path = DEFAULT_CACHE) -> list[str]:
    """Absolute paths of the fetched jars; an error that names the folder if ``make jars`` has not run."""
    folder = jar_dir(cache)
    stamp = Path(cache) / "pom.xml"
    jars = sorted(str(p) for p in folder.glob("*.jar")) if folder.is_dir() else []
    if not jars or not stamp.exists() or stamp.read_text() != pom_xml():
        raise FileNotFoundError(
            f"JVM jars missing or out of date in {folder}: run `make jars` (python -m vocspark.jars fetch)"
        )
    return jars


def fetch(cache: Path = DEFAULT_CACHE, quiet: bool = True) -> list[str]:
    """Resolve the jar list from Maven Central into ``cache``; a no-op when already up to date."""
    cache = Path(cache)
    try:
        return local_jars(cache)
    except FileNotFoundError:
        pass
    cache.mkdir(parents=True, exist_ok=True)
    work_pom = cache / "pom.work.xml"
    work_pom.write_text(pom_xml())
    lib = jar_dir(cache)
    if lib.exists():
        for old in lib.glob("*.jar"):
            old.unlink()
    cmd = [
        "mvn", "-B", "-f", str(work_pom), "dependency:copy-dependencies",
        f"-DoutputDirectory={lib}", "-DincludeScope=runtime",
    ]
    if quiet:
        cmd.insert(1, "-q")
    subprocess.run(cmd, check=True)
    work_pom.replace(cache / "pom.xml")  # written last: marks the cache complete
    return local_jars(cache)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vocspark.jars", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["fetch", "list", "packages", "excludes", "pom", "audit"])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--known-vulnerable", type=Path, default=KNOWN_VULNERABLE, help="list file for `audit`")
    args = parser.parse_args(argv)
    if args.command == "audit":
        findings = audit(JARS, args.known_vulnerable)
        for finding in findings:
            print(f"known-vulnerable jar: {finding}", file=sys.stderr)
        if not findings:
            print(f"{len(JARS)} jars, none on {args.known_vulnerable}")
        return 1 if findings else 0
    if args.command == "fetch":
        jars = fetch(args.cache)
        print(f"{len(jars)} jars in {jar_dir(args.cache)}")
    elif args.command == "list":
        print("\n".join(local_jars(args.cache)))
    elif args.command == "packages":
        print(packages_arg())
    elif args.command == "excludes":
        print(excludes_arg())
    else:
        sys.stdout.write(pom_xml())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
