#!/usr/bin/env bash
# Run any VoC Spark job with spark-submit, shipping the code and jars the way EMR and Glue do:
# the vocspark package as a zip on --py-files, the JVM dependencies as --jars (from `make jars`).
#
#   ./spark-submit.sh [--target local|emr|glue] <job> [job args]
#   ./spark-submit.sh ingest --config conf/local.yaml           (local is the default target)
#   SPARK_MASTER=local[2] ./spark-submit.sh preprocess --sources instagram
#   ./spark-submit.sh --target emr user_mode --config conf/emr.yaml --as-of 2021-07-01
#       builds the zip, uploads it, the zip of the pure-Python dependencies (snowballstemmer: both on --py-files),
#       the job script and the config to deploy.artifacts_uri, adds an EMR step
#       (command-runner.jar + spark-submit --packages ...) to deploy.emr.cluster_id
#   ./spark-submit.sh --target glue user_mode --config conf/glue.yaml --as-of 2021-07-01
#       uploads the package, job script, config and the jars, creates or updates the Glue job (Python
#       dependencies pip-installed by Glue: --additional-python-modules) and starts a run
#       (GLUE_NO_START=1: create/update only)
# The local target runs the workers on $VENV's Python, which has every dependency of setup.py installed.
#
# Environment: SPARK_MASTER (default local[*]), SPARK_SUBMIT_OPTS_EXTRA (extra spark-submit flags),
# VENV (default .venv).
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)

TARGET=local
if [[ "${1:-}" == "--target" ]]; then TARGET=${2:-}; shift 2 || true; fi
if [[ "${1:-}" == --target=* ]]; then TARGET=${1#--target=}; shift; fi
case "$TARGET" in local|emr|glue) ;; *) echo "error: --target must be local, emr or glue (got '$TARGET')" >&2; exit 2;; esac
if [[ $# -lt 1 || "$1" == "-h" || "$1" == "--help" ]]; then
  echo "usage: $0 [--target local|emr|glue] <job> [args]"; echo "jobs:"; ls jobs/*.py | xargs -n1 basename | sed 's/\.py$//; s/^/  /'
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

if [[ "$TARGET" != local ]]; then
  # Cluster targets: upload and submit through boto3 (credentials from the AWS default chain).
  export PYTHONPATH="$ROOT/lib${PYTHONPATH:+:$PYTHONPATH}"
  exec "$PY" -m vocspark.deploy submit --target "$TARGET" --zip "$ZIP" ${GLUE_NO_START:+--no-start} "$JOB" "$@"
fi

JARS=$("$PY" -m vocspark.jars list | paste -sd, -)

export PYSPARK_PYTHON="$PY" PYSPARK_DRIVER_PYTHON="$PY"
exec "$SPARK_SUBMIT" \
  --master "${SPARK_MASTER:-local[*]}" \
  --name "vocspark-${JOB}" \
  --conf spark.sql.session.timeZone=UTC \
  --conf "spark.driver.extraJavaOptions=-Duser.timezone=UTC --add-modules=jdk.incubator.vector" \
  --conf "spark.executor.extraJavaOptions=-Duser.timezone=UTC --add-modules=jdk.incubator.vector" \
  --jars "$JARS" \
  --py-files "$ZIP" \
  ${SPARK_SUBMIT_OPTS_EXTRA:-} \
  "$SCRIPT" "$@"
