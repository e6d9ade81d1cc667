"""VoC Spark: PySpark pipelines for customer voice (reviews, tweets, social comments)."""
from pathlib import Path

from setuptools import find_packages, setup

ROOT = Path(__file__).parent
VERSION = (ROOT / "lib" / "vocspark" / "VERSION").read_text().strip()

# Versions pinned to what Glue 5.1 / EMR 7 run (Spark 3.5.6, Scala 2.12, Java 17).
# numpy stays on 1.x and pandas on 2.2: pyspark 3.5 is not tested against numpy 2.
RUNTIME = [
    "pyspark==3.5.6",
    "spark-nlp==5.5.3",
    "pandas==2.2.3",
    "numpy==1.26.4",
    "pyarrow==17.0.0",
    "pyyaml==6.0.2",
    # report job (issue 6): plots rendered with the Agg backend into a self-contained HTML file
    "matplotlib==3.9.4",
    # Snowball stemmers (en, pt, es): pure Python, shipped to Glue/EMR with the package's requirements
    "snowballstemmer==3.1.1",
]
DEV = [
    "pytest==8.3.4",
    "pytest-timeout==2.3.1",
    "chispa==0.10.1",
    "boto3==1.35.99",
    "moto[server]==5.2.5",  # 5.2 implements Glue workflows (deploy tests)
    "cfn-lint==1.51.0",  # lints deploy/cloudformation.json in tests/deploy
    "build==1.2.2",
    # benchmark baselines (bench/topics): gensim Word2Vec and scikit-learn KMeans
    "gensim==4.3.3",
    "scikit-learn==1.5.2",
    "scipy==1.13.1",
    "wheel",
    # report browser test (issue 6): console errors through the DevTools protocol of headless Chromium
    "websocket-client==1.8.0",
    # layer contracts checked in CI (.importlinter): jobs -> models | analytics -> text | sources -> io ...
    "import-linter==2.17",
]

setup(
    name="vocspark",
    version=VERSION,
    description="Voice-of-customer analytics on PySpark: ingest, preprocess, topics, classifiers, user modes",
    long_description=(ROOT / "README.md").read_text(encoding="utf-8") if (ROOT / "README.md").exists() else "",
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.11,<3.12",
    package_dir={"": "lib"},
    packages=find_packages("lib"),
    package_data={"vocspark": ["VERSION", "text/stopwords/*.txt", "demo/vocab/*.yaml"]},
    include_package_data=True,
    install_requires=RUNTIME,
    extras_require={"dev": DEV},
)
