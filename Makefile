# revops — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DB     ?= demo.duckdb
PORT   ?= 8000

.PHONY: demo test bench lint venv clean postgresql chromium

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Builds the demo company, prints its headline numbers and what its workflows did with its web,
# product and intent events, makes an admin key and serves the dashboard on
# http://127.0.0.1:$(PORT)/ (the sign-in link with the key is printed; Ctrl-C stops). The demo's
# revenue model is the default plus the workflows of $(DEMO_MODEL) (docs/demo.md#workflows);
# the server keeps working them (POST /v1/events, POST /v1/leads).
DEMO_MODEL ?= src/revops/demo/revops.yaml
REVOPS_DEMO = $(BIN)/revops --db $(DB) --model $(DEMO_MODEL)
demo: $(STAMP)
	$(REVOPS_DEMO) demo --scale small
	$(REVOPS_DEMO) status
	$(REVOPS_DEMO) metrics won_amount win_rate avg_deal_size sales_cycle_days open_pipeline \
		weighted_pipeline mql_count mql_to_sql_rate speed_to_lead_minutes mrr arr nrr grr
	$(REVOPS_DEMO) metrics win_rate won_amount pipeline_created --by segment --period year
	@KEY=$$($(REVOPS_DEMO) keys create --role admin --label "make demo" --format json | \
		$(BIN)/python -c 'import json,sys; print(json.load(sys.stdin)["key"])') && \
	echo "" && echo "Dashboard: http://127.0.0.1:$(PORT)/login?key=$$KEY" && \
	echo "API:       curl -H 'Authorization: Bearer $$KEY' http://127.0.0.1:$(PORT)/v1/opportunities" && \
	echo "Workflows: http://127.0.0.1:$(PORT)/workflows and /v1/workflows/runs   (events: POST /v1/events, docs/demo.md#workflows)" && \
	echo "" && \
	$(REVOPS_DEMO) serve --port $(PORT)

# The postgres tests start a throwaway PostgreSQL server from Debian's postgresql package
# (binaries in /usr/lib/postgresql/*/bin). Installed once, as root (CI); elsewhere they skip.
postgresql:
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	else echo "PostgreSQL is not installed (sudo apt-get install postgresql): the postgres tests will skip"; fi

# The dashboard's browser tests drive Debian's chromium (/usr/bin/chromium) with Playwright
# (never `playwright install`: no browser download). Installed once, as root (CI); elsewhere they skip.
chromium:
	@test -x /usr/bin/chromium || \
	if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "chromium is not installed (sudo apt-get install chromium): the dashboard's browser tests will skip"; fi

# --dist loadgroup: the Spark tests share one SparkSession on one worker (and the dashboard's
# browser tests one server and one browser).
test: $(STAMP) postgresql chromium
	REVOPS_REQUIRE_BACKENDS=1 $(BIN)/python -m pytest -n 2 --dist loadgroup -q

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

lint: $(STAMP)
	$(BIN)/python -m compileall -q src tests benchmarks

clean:
	rm -rf $(VENV) .bench *.duckdb *.duckdb.wal
