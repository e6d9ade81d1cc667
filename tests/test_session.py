"""The session builder applies the project's settings for each profile."""
from pathlib import Path

from vocspark import config, jars, session

ROOT = Path(__file__).resolve().parents[1]


def test_local_session_conf_has_jars_utc_and_dynamic_overwrite():
    cfg = config.load(ROOT / "conf" / "local.yaml")
    conf = session.session_conf(cfg)
    assert conf["spark.sql.session.timeZone"] == "UTC"
    assert conf["spark.sql.sources.partitionOverwriteMode"] == "dynamic"
    assert conf["spark.jars"].split(",") == jars.local_jars()
    assert conf["spark.sql.adaptive.enabled"] == "true"  # booleans from YAML become Spark's lowercase strings
    assert "DefaultAWSCredentialsProviderChain" in conf["spark.hadoop.fs.s3a.aws.credentials.provider"]


def test_cluster_profiles_do_not_ship_local_jars():
    for name in ("emr.yaml", "glue.yaml"):
        cfg = config.load(ROOT / "conf" / name, check_paths=False)
        conf = session.session_conf(cfg)
        assert "spark.jars" not in conf
        assert conf["spark.sql.session.timeZone"] == "UTC"


def test_s3_scheme_and_committer_per_profile():
    local = session.session_conf(config.load(ROOT / "conf" / "local.yaml"))
    assert local["spark.hadoop.fs.s3.impl"] == "org.apache.hadoop.fs.s3a.S3AFileSystem"
    assert local["spark.hadoop.mapreduce.fileoutputcommitter.algorithm.version"] == "1"
    for name in ("emr.yaml", "glue.yaml"):  # EMRFS keeps s3:// there (EMR's optimized commit protocol needs it)
        conf = session.session_conf(config.load(ROOT / "conf" / name, check_paths=False))
        assert "spark.hadoop.fs.s3.impl" not in conf
        assert conf["spark.sql.sources.partitionOverwriteMode"] == "dynamic"


def test_build_session_applies_sql_settings(spark):
    cfg = config.load(ROOT / "conf" / "local.yaml", {"spark.conf": {"spark.sql.shuffle.partitions": 3}})
    built = session.build_session(cfg)
    assert built.conf.get("spark.sql.shuffle.partitions") == "3"
    assert built.conf.get("spark.sql.session.timeZone") == "UTC"
    built.conf.set("spark.sql.shuffle.partitions", "4")


def test_local_jvms_get_the_vector_module_and_spark_ml_uses_simd_blas(spark):
    """Word2Vec and KMeans dot products go through netlib's Java BLAS; with jdk.incubator.vector it is VectorBLAS."""
    cfg = config.load(ROOT / "conf" / "local.yaml")
    conf = session.session_conf(cfg)
    for key in ("spark.driver.extraJavaOptions", "spark.executor.extraJavaOptions"):
        assert conf[key].split() == ["-Duser.timezone=UTC", "--add-modules=jdk.incubator.vector"]
    assert "--add-modules=jdk.incubator.vector" in (ROOT / "spark-submit.sh").read_text()
    blas = spark.sparkContext._jvm.dev.ludovic.netlib.blas.BLAS.getInstance().getClass().getSimpleName()
    assert blas == "VectorBLAS"


TIMESTAMP_CONF = {
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.parquet.datetimeRebaseModeInWrite": "CORRECTED",
    "spark.sql.parquet.int96RebaseModeInWrite": "CORRECTED",
    "spark.sql.parquet.datetimeRebaseModeInRead": "CORRECTED",
    "spark.sql.parquet.int96RebaseModeInRead": "CORRECTED",
}


def test_every_profile_writes_parquet_timestamps_as_micros_without_rebase():
    for name in ("local.yaml", "emr.yaml", "glue.yaml"):
        conf = session.session_conf(config.load(ROOT / "conf" / name, check_paths=False))
        assert {k: conf[k] for k in TIMESTAMP_CONF} == TIMESTAMP_CONF, name


def test_a_record_dated_1899_is_written_as_int64_timestamp_micros(spark, tmp_path):
    """INT96 before 1900-01-01 aborts a Spark 3.5 write (rebase); TIMESTAMP_MICROS + CORRECTED stores it as is."""
    import datetime as dt

    import pyarrow.parquet as pq
    from pyspark.sql import functions as F

    for key, value in TIMESTAMP_CONF.items():  # the tests' session (conftest) carries the same settings
        assert spark.conf.get(key) == value
    texts = {"old": "1899-12-31 23:59:59.123456", "new": "2021-05-01 00:00:00", "none": None}
    source_df = spark.createDataFrame(list(texts.items()), "doc_id string, text string").select(
        "doc_id", F.to_timestamp("text").alias("created_at")  # session time zone: UTC
    )
    out = tmp_path / "ts"
    source_df.coalesce(1).write.parquet(str(out))
    files = sorted(out.glob("*.parquet"))
    column = pq.ParquetFile(files[0]).schema.column(1)
    assert column.physical_type == "INT64"
    assert column.logical_type.type == "TIMESTAMP" and '"timeUnit":"microseconds"' in column.logical_type.to_json().replace(" ", "")
    as_text = F.date_format("created_at", "yyyy-MM-dd HH:mm:ss.SSSSSS")
    back = {r["doc_id"]: r["t"] for r in spark.read.parquet(str(out)).select("doc_id", as_text.alias("t")).collect()}
    assert back == {"old": "1899-12-31 23:59:59.123456", "new": "2021-05-01 00:00:00.000000", "none": None}
    table = pq.read_table(files[0]).to_pydict()  # other readers see the same instant (UTC-adjusted micros)
    assert table["created_at"][table["doc_id"].index("old")].replace(tzinfo=None) == dt.datetime(1899, 12, 31, 23, 59, 59, 123456)
