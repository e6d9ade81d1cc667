# VoC Spark: one-command setup, demo, tests and benchmarks.
#   make demo   install everything, fetch the jars, generate the demo data, run every job on it
#   make test   install everything, fetch the jars, check the import contracts, run the whole suite (CI: .ci/run)
#   make test-fast   the unit tier: import contracts + every test not marked integration (no servers, no demo data)
#   make lint   import contracts of .importlinter (layers, independent jobs, demo only in the demo job) + jar CVE audit
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
CONFIG ?= conf/local.yaml
DEMO_BASE ?= data
N ?= 1000000
# The demo data covers demo.months (6) months from demo.start_date (2021-01-01): user modes as of its end.
DEMO_AS_OF ?= 2021-07-01
DEMO_MODEL := $(DEMO_BASE)/models/instagram/demo
PYTEST_ARGS ?=

export PYSPARK_PYTHON := $(abspath $(PY))
export PYSPARK_DRIVER_PYTHON := $(abspath $(PY))

.PHONY: install system-deps jars demo test test-fast lint bench-preprocess bench-topics bench-user-mode package clean help

help:
	@grep -E '^#   ' Makefile | sed 's/^#   //'

$(VENV)/.installed: setup.py lib/vocspark/VERSION
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# Debian packages that real test peers need (PostgreSQL, Chromium): scripts/system-deps.sh installs what is missing
system-deps:
	bash scripts/system-deps.sh

jars: install
	$(PY) -m vocspark.jars fetch

demo: jars system-deps
	$(PY) jobs/generate_demo_data.py --config $(CONFIG) --set base_uri=$(DEMO_BASE)
	$(PY) jobs/ingest.py --config $(CONFIG) --set base_uri=$(DEMO_BASE)
	$(PY) jobs/preprocess.py --config $(CONFIG) --set base_uri=$(DEMO_BASE)
	@echo "demo only: a fresh model registry per demo run (model versions are immutable; the demo trains version 'demo')"
	rm -rf $(DEMO_BASE)/models
	$(PY) jobs/train_topics.py --config $(CONFIG) --set base_uri=$(DEMO_BASE) --model instagram --version demo
	@echo "demo only: quality against the planted truth and a topic mapping generated from it ($(DEMO_MODEL)/demo_mapping.yaml)"
	$(PY) -m vocspark.demo.topic_quality --config $(CONFIG) --set base_uri=$(DEMO_BASE) --model instagram --version demo
	$(PY) jobs/infer_topics.py --config $(CONFIG) --set base_uri=$(DEMO_BASE) --model instagram --version demo \
		--mapping $(DEMO_MODEL)/demo_mapping.yaml
	$(PY) jobs/user_mode.py --config $(CONFIG) --set base_uri=$(DEMO_BASE) --as-of $(DEMO_AS_OF)
	$(PY) jobs/sample.py --config $(CONFIG) --set base_uri=$(DEMO_BASE)
	$(PY) jobs/analytics.py --config $(CONFIG) --set base_uri=$(DEMO_BASE)
	@echo "demo only: drift compares months (the demo data covers 6 months of one year; the default period is the year)"
	$(PY) jobs/drift.py --config $(CONFIG) --set base_uri=$(DEMO_BASE) --period month
	@echo "demo only: load_warehouse loads into a throwaway local PostgreSQL (deploy/local-warehouse.sh)"
	bash deploy/local-warehouse.sh $(PY) jobs/load_warehouse.py --config $(CONFIG) --set base_uri=$(DEMO_BASE) \
		--as-of $(DEMO_AS_OF)
	@echo "demo only: the tweet classifiers learn from the generator's planted truth (labels.path = <base>/truth/tweets)"
	@echo "demo only: needs_support trains without its tuning grid to stay quick (--cset tuning.method=none)"
	$(PY) jobs/train_classifier.py --config $(CONFIG) --set base_uri=$(DEMO_BASE) --model needs_support --version demo \
		--cset tuning.method=none
	$(PY) jobs/infer_classifier.py --config $(CONFIG) --set base_uri=$(DEMO_BASE) --model needs_support --version demo
	$(PY) jobs/train_classifier.py --config $(CONFIG) --set base_uri=$(DEMO_BASE) --model product_category --version demo
	$(PY) jobs/infer_classifier.py --config $(CONFIG) --set base_uri=$(DEMO_BASE) --model product_category --version demo
	@echo "promote: each model's candidate against its gate (here every first version is already the champion)"
	$(PY) jobs/promote.py --config $(CONFIG) --set base_uri=$(DEMO_BASE) --topic-model instagram \
		--mapping $(DEMO_MODEL)/demo_mapping.yaml --classifier needs_support,product_category
	@echo "graph_export and report run last: PREDICTED edges and classifier metrics need the product_category model"
	$(PY) jobs/graph_export.py --config $(CONFIG) --set base_uri=$(DEMO_BASE)
	$(PY) jobs/report.py --config $(CONFIG) --set base_uri=$(DEMO_BASE)
	$(PY) -m vocspark.summary --config $(CONFIG) --set base_uri=$(DEMO_BASE)

# lint-imports finds vocspark through the editable install (lib/ on the path; PYTHONPATH=lib says so explicitly).
lint: install
	PYTHONPATH=lib $(VENV)/bin/lint-imports --no-cache --no-logo .importlinter
	$(PY) -m vocspark.jars audit

test-fast: jars lint
	$(PY) -m pytest -m "not integration" --durations=25 $(PYTEST_ARGS)

test: jars system-deps lint
	$(PY) -m pytest --durations=25 $(PYTEST_ARGS)

bench-preprocess: jars
	$(PY) bench/preprocess.py --rows $(N)

bench-topics: jars
	$(PY) bench/topics.py $(if $(filter-out 1000000,$(N)),--comments $(N),)

bench-user-mode: jars
	$(PY) bench/user_mode.py $(if $(filter-out 1000000,$(N)),--comments $(N),)

package: install
	$(PY) -m build --wheel --outdir dist .

clean:
	rm -rf dist build lib/*.egg-info spark-warehouse metastore_db derby.log
