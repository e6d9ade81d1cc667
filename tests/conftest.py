"""Session-scoped SparkSession for the whole suite: local[2], few shuffle partitions, UI off."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from vocspark import jars
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
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def small_plans(spark):
    """Tiny inputs: two shuffle partitions and no adaptive re-planning keep each Spark job fast (the logic under
    test depends on neither). Request it per module, e.g. with an autouse fixture or ``usefixtures``."""
    settings = {"spark.sql.shuffle.partitions": "2", "spark.sql.adaptive.enabled": "false"}
    previous = {key: spark.conf.get(key) for key in settings}
    for key, value in settings.items():
        spark.conf.set(key, value)
    yield
    for key, value in previous.items():
        spark.conf.set(key, value)


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
