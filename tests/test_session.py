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
