# Two commands for a fresh machine: `make run` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DB ?= data/warehouse.duckdb
export GRADIO_ANALYTICS_ENABLED := False
export PYTHONDONTWRITEBYTECODE := 1

SPARK_STAMP := $(VENV)/.spark-installed

.PHONY: setup run test lint bench browser spark clean-data

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

$(DB): | $(STAMP)
	$(PY) -m assistant data generate --db $(DB)

# The index command updates incrementally (content hashes), so it is cheap when nothing changed.
# A warehouse from an older version gets its derived tables (cheap when current: a fingerprint check).
setup: $(STAMP) $(DB)
	$(PY) -m assistant data derive --if-stale --db $(DB)
	@if $(PY) -m assistant index --help >/dev/null 2>&1; then $(PY) -m assistant index build; fi

# Headless Chromium for the browser tests (Debian package; Playwright's own download is unreachable).
# A CJK font so screenshots show Chinese, not boxes.
browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi wqy; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	  else echo "install the Debian packages 'chromium' and 'fonts-wqy-microhei' for the browser tests"; fi; fi

# The Spark engine for the parity suite (tests/engines): the `spark` extra (pyspark, not a default dependency) and
# Java 17 from Debian when missing.
$(SPARK_STAMP): $(STAMP) pyproject.toml constraints.txt
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev,spark]'
	touch $(SPARK_STAMP)

spark: $(SPARK_STAMP)
	@if ! command -v java >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	  else echo "install the Debian package 'openjdk-17-jre-headless' for the Spark tests"; fi; fi

run: setup
	$(PY) app.py

test: setup browser spark
	$(PY) -m ruff check .
	$(PY) -m pytest -n 2 --dist loadgroup

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

bench: setup
	$(PY) -m assistant bench

clean-data:
	rm -rf data/warehouse.duckdb data/index data/bench
