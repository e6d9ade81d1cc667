"""Session-scoped SparkSession for the whole suite: local[2], few shuffle partitions, UI off; tiny raw inputs; and
the one generated demo base every end-to-end module starts from (``demo_template``, copied by ``demo_base``)."""
from __future__ import annotations

import argparse
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import SparkSession

from vocspark import config, jars
from vocspark import session as session_mod

os.environ.setdefault("PYSPARK_PYTHON", os.sys.executable)


@pytest.fixture(scope="session")
def spark() -> SparkSession:
    session = (
        SparkSession.builder.master("local[2]")
        .appName("vocspark-tests")
        .config("spark.jars", ",".join(jars.local_jars()))
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.sources.partitionOverwriteMode", "dynamic")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.extraJavaOptions", f"-Duser.timezone=UTC {session_mod.VECTOR_MODULE}")
        .config("spark.sql.legacy.timeParserPolicy", "CORRECTED")
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .config("spark.sql.parquet.datetimeRebaseModeInWrite", "CORRECTED")
        .config("spark.sql.parquet.int96RebaseModeInWrite", "CORRECTED")
        .config("spark.sql.parquet.datetimeRebaseModeInRead", "CORRECTED")
        .config("spark.sql.parquet.int96RebaseModeInRead", "CORRECTED")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


SMALL_PLANS = {"spark.sql.shuffle.partitions": "2", "spark.sql.adaptive.enabled": "false"}


def _set_conf(spark, settings: dict[str, str]) -> dict[str, str]:
    """Set ``settings`` on the session; return the values they replaced."""
    previous = {key: spark.conf.get(key) for key in settings}
    for key, value in settings.items():
        spark.conf.set(key, value)
    return previous


@pytest.fixture(scope="module")
def small_plans(spark):
    """Tiny inputs: two shuffle partitions and no adaptive re-planning keep each Spark job fast (the logic under
    test depends on neither). Request it per module, e.g. with an autouse fixture or ``usefixtures``."""
    previous = _set_conf(spark, SMALL_PLANS)
    yield
    _set_conf(spark, previous)


@pytest.fixture
def tmp_base(tmp_path: Path) -> Path:
    """A fresh base folder for a job run."""
    base = tmp_path / "base"
    base.mkdir()
    yield base
    shutil.rmtree(base, ignore_errors=True)


def _write_raw_fixture(root: Path) -> None:
    """Hand-made raw files of all three sources: 18 records, 10 good (see tests/jobs/test_ingest.py)."""
    amazon_dir = root / "raw" / "amazon_reviews"
    amazon_dir.mkdir(parents=True)
    header = "marketplace\tcustomer_id\treview_id\tproduct_id\tproduct_parent\tproduct_title\tproduct_category\tstar_rating\thelpful_votes\ttotal_votes\tvine\tverified_purchase\treview_headline\treview_body\treview_date"
    good = "US\t1\tR{n}\tB1\t9\tBlender\tKitchen\t4\t0\t0\tN\tY\tOk\tThis blender works very well {n}\t2021-0{m}-15"
    lines = [header] + [good.format(n=n, m=1 + n % 2) for n in range(6)]
    lines += [good.format(n=0, m=1)]  # exact duplicate of R0
    lines += ["US\t1\tRshort\tB1\t9\tBlender\tKitchen\t4\t0\t0\tN\tY\tOk\tshort\t2021-01-15"]  # length
    lines += ["UK\t1\tRuk\tB1\t9\tBlender\tKitchen\t4\t0\t0\tN\tY\tOk\tA fine blender indeed\t2021-01-15"]
    lines += ["US\t1\tRbad\tB1\t9\tBlender\tKitchen\t4\t0\t0\tN\tY\tOk\tA fine blender\tnot-a-date"]
    (amazon_dir / "amazon_reviews_us_Kitchen_v1_00.tsv").write_text("\n".join(lines) + "\n")

    hour = root / "raw" / "tweets" / "2021" / "02" / "03" / "04"
    hour.mkdir(parents=True)
    tweet = '{{"id": "{i}", "text": "Mi pedido {i} no llegó", "created_at": "2021-02-03T04:05:06.000Z", "author_id": "7", "lang": "es", "public_metrics": {{"retweet_count": 0, "reply_count": 0, "like_count": 0, "quote_count": 0}}}}'
    (hour / "voc-tweets-1-2021-02-03-04-00-00-a").write_text("\n".join([tweet.format(i=1), tweet.format(i=2), "{broken"]) + "\n")
    (hour / "voc-tweets-1-2021-02-03-04-30-00-b").write_text(tweet.format(i=2) + "\n")  # Firehose redelivery

    insta = root / "raw" / "instagram"
    insta.mkdir(parents=True)
    (insta / "comments_2021-03.csv").write_text(
        "interaction_date,user_name,url,text\n"
        '2021-03-01 09:00:00,ana,https://www.instagram.com/p/a/,"Adorei a loja. Quero meu dinheiro de volta!"\n'
        "2021-03-02 09:00:00,bia,https://www.instagram.com/p/a/,Não entregaram meu produto\n"
        "2021-03-02 09:00:00,bia,https://www.instagram.com/p/a/,Não entregaram meu produto\n"
        "2021-13-02 09:00:00,cid,https://www.instagram.com/p/a/,Data inválida aqui\n"
    )


@pytest.fixture
def write_raw_fixture():
    return _write_raw_fixture


# --------------------------------------------------------------------------- the shared generated demo base
# One small demo base for the whole end-to-end tier, generated, ingested and preprocessed once per session:
# 600 reviews, 1000 tweets (the needs_support classifier's signal), 2500 Instagram comments (enough for a topic
# model) over three months. Sizes and seed are the topic test's (seed 11, 1% malformed and duplicates), so its
# comments are the very bytes it generated on its own before.
DEMO_ARGS = dict(reviews=600, tweets=1000, comments=2500, seed=11, malformed_fraction=0.01, duplicate_fraction=0.01,
                 start_date="2021-01-01", months=3)
DEMO_RUN_IDS = {"ingest": "demo-ingest", "preprocess": "demo-preprocess"}
ROOT = Path(__file__).resolve().parents[1]


def demo_generate_args(**overrides: Any) -> argparse.Namespace:
    """The arguments of ``generate_demo_data.run`` that made the shared demo base (a rerun with them writes the
    same bytes); ``overrides`` change some."""
    values = dict(DEMO_ARGS, out=None, truth=None, workers=1, run_id=None)
    return argparse.Namespace(**{**values, **overrides})


@dataclass(frozen=True)
class DemoTemplate:
    """The shared demo base: ``path`` holds raw/, truth/, documents/, documents_clean/, sentences/, rejected/ and
    manifests/ of one generate -> ingest -> preprocess run. It is READ-ONLY (files 0444, folders 0555; root ignores
    modes, so every copy and the session's end also compare it with its fingerprint and fail loudly if a test
    changed it): take a copy with :meth:`copy_to` (or the ``demo_base`` / ``fresh_demo_base`` fixtures) before
    running a job on it.

    Lineage columns (``source_file``) and the manifests' URIs name the template's path, not the copy's."""

    path: Path
    summary: dict  # what generate_demo_data.run returned (summary["sources"][source]["expected_kept"], ...)
    ingest: Any  # the ingest manifest (run id DEMO_RUN_IDS["ingest"])
    preprocess: Any  # the preprocess manifest (run id DEMO_RUN_IDS["preprocess"])
    fingerprint: tuple = ()  # (relative path, size, mtime_ns) of every file when it was made

    @property
    def uri(self) -> str:
        return self.path.as_uri()

    @staticmethod
    def generate_args(**overrides: Any) -> argparse.Namespace:
        """See :func:`demo_generate_args` (test modules cannot import this conftest under --import-mode=importlib,
        so they reach the helpers through the fixture)."""
        return demo_generate_args(**overrides)

    @staticmethod
    def cfg(base: Path, overrides: dict[str, Any] | None = None) -> config.Config:
        """See :func:`demo_cfg`."""
        return demo_cfg(base, overrides)

    def check_untouched(self) -> None:
        changed = sorted(set(self.fingerprint) ^ set(_fingerprint(self.path)))
        assert not changed, f"a test changed the shared demo template {self.path} (copy it first): {changed[:5]}"

    def copy_to(self, dest: Path) -> Path:
        """A writable copy of the base at ``dest`` (which must not exist); returns ``dest``."""
        self.check_untouched()
        shutil.copytree(self.path, dest, copy_function=shutil.copyfile)
        _set_writable(dest, True)
        return dest


def demo_cfg(base: Path, overrides: dict[str, Any] | None = None) -> config.Config:
    """conf/local.yaml with ``base_uri`` = ``base`` (and ``overrides``): the config the shared base was made with."""
    return config.load(ROOT / "conf" / "local.yaml", {"base_uri": str(base), **(overrides or {})})


def _fingerprint(root: Path) -> tuple:
    return tuple(sorted((p.relative_to(root).as_posix(), p.stat().st_size, p.stat().st_mtime_ns)
                        for p in root.rglob("*") if p.is_file()))


def _set_writable(root: Path, writable: bool) -> None:
    """Folders 0755 / files 0644 when ``writable``, else 0555 / 0444 (the tree's root included)."""
    dir_mode, file_mode = (0o755, 0o644) if writable else (0o555, 0o444)
    paths = [root, *root.rglob("*")]
    if writable:  # open folders from the top down so their content can be reached
        for path in paths:
            os.chmod(path, dir_mode if path.is_dir() else file_mode)
    else:  # close folders from the bottom up
        for path in reversed(paths):
            os.chmod(path, dir_mode if path.is_dir() else file_mode)


@pytest.fixture(scope="session")
def demo_template(spark, tmp_path_factory) -> DemoTemplate:
    """Generate, ingest and preprocess the shared demo base once per session (about 4,100 raw records), then make
    it read-only. Modules never run jobs on it: they take a copy (``demo_base``, ``fresh_demo_base``)."""
    from vocspark.jobs import generate_demo_data, ingest, preprocess  # only the end-to-end tier pays the import

    base = tmp_path_factory.mktemp("demo_template")
    cfg = demo_cfg(base)
    # The session's own settings, not small_plans: the file layout of sentences/ sets the order Word2Vec reads
    # them in, and the topic test's quality bounds hold for the layout it had when it generated its own data.
    summary = generate_demo_data.run(spark, cfg, demo_generate_args())
    m_ingest = ingest.run(spark, cfg, argparse.Namespace(sources=None, run_id=DEMO_RUN_IDS["ingest"]))
    m_pre = preprocess.run(spark, cfg, argparse.Namespace(sources=None, months=None, run_id=DEMO_RUN_IDS["preprocess"]))
    _set_writable(base, False)
    template = DemoTemplate(path=base, summary=summary, ingest=m_ingest, preprocess=m_pre, fingerprint=_fingerprint(base))
    yield template
    _set_writable(base, True)  # so pytest can remove old temp folders
    template.check_untouched()


@pytest.fixture(scope="module")
def demo_base(demo_template, tmp_path_factory) -> Path:
    """This module's own writable copy of the shared demo base (jobs the module runs cannot disturb another's)."""
    return demo_template.copy_to(tmp_path_factory.mktemp("demo_base") / "base")


@pytest.fixture
def fresh_demo_base(demo_template, tmp_path) -> Path:
    """This test's own writable copy of the shared demo base."""
    return demo_template.copy_to(tmp_path / "demo_base")
