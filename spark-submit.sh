#!/usr/bin/env bash
# Run any VoC Spark job with spark-submit, shipping the code and jars the way EMR and Glue do:
# the vocspark package as a zip on --py-files, the JVM dependencies as --jars (from `make jars`).
#
#   ./spark-submit.sh <job> [job args]          e.g. ./spark-submit.sh ingest --config conf/local.yaml
#   SPARK_MASTER=local[2] ./spark-submit.sh preprocess --sources instagram
#
# Environment: SPARK_MASTER (default local[*]), SPARK_SUBMIT_OPTS_EXTRA (extra spark-submit flags),
# VENV (default .venv).
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)

if [[ $# -lt 1 || "$1" == "-h" || "$1" == "--help" ]]; then
  echo "usage: $0 <job> [args]"; echo "jobs:"; ls jobs/*.py | xargs -n1 basename | sed 's/\.py$//; s/^/  /'
  exit 2
fi
JOB=$1; shift
SCRIPT="jobs/${JOB}.py"
[[ -f "$SCRIPT" ]] || { echo "error: no job script $SCRIPT" >&2; exit 2; }

VENV=${VENV:-.venv}
PY="$ROOT/$VENV/bin/python"
[[ -x "$PY" ]] || { echo "error: $PY missing: run 'make install' first" >&2; exit 2; }
SPARK_SUBMIT="$ROOT/$VENV/bin/spark-submit"

# Package the library exactly as it is shipped to the cluster.
mkdir -p dist
ZIP="dist/vocspark-$(cat lib/vocspark/VERSION).zip"
rm -f "$ZIP"
(cd lib && "$PY" -c "import shutil; shutil.make_archive('../${ZIP%.zip}', 'zip', '.', 'vocspark')")

JARS=$("$PY" -m vocspark.jars list | paste -sd, -)

export PYSPARK_PYTHON="$PY" PYSPARK_DRIVER_PYTHON="$PY"
exec "$SPARK_SUBMIT" \
  --master "${SPARK_MASTER:-local[*]}" \
  --name "vocspark-${JOB}" \
  --conf spark.sql.session.timeZone=UTC \
  --conf "spark.driver.extraJavaOptions=-Duser.timezone=UTC" \
  --jars "$JARS" \
  --py-files "$ZIP" \
  ${SPARK_SUBMIT_OPTS_EXTRA:-} \
  "$SCRIPT" "$@"
