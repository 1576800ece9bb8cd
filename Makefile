# One entry point for students, instructors and maintainers.
#   make lab    set everything up and open the course in JupyterLab
#   make test   set everything up (with the test extra) and run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# nbgrader runs helper commands (alembic) that must be found on PATH.
export PATH := $(abspath $(BIN)):$(PATH)
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check --constraint constraints.txt

.PHONY: grade similarity report sandbox postgres chromium hub-proxy instructor lab test test-fast release solutions generated benchmark lock clean help

help:
	@echo "make lab        open the course in JupyterLab (creates $(VENV) on first use)"
	@echo "make instructor open it with nbgrader's instructor tools (formgrader, create assignment)"
	@echo "make test       run the whole test suite (installs the test extra)"
	@echo "make test-fast  the suite without the nbgrader pipeline and server tests"
	@echo "make generated  regenerate release/ and solutions/ from source/"
	@echo "make benchmark  print speed figures of course_lib against PyTorch"
	@echo "make grade ASSIGNMENT=... [WORKERS=N] [SHARD=K/N]   autograde every submission (or one shard) in parallel"
	@echo "make similarity ASSIGNMENT=...          report near-copies among submissions and of course_lib"
	@echo "make report ASSIGNMENT=...              the class report of a graded batch (reports/<assignment>/)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed, found " + sys.version' \
		|| { echo "Set PYTHON=/path/to/python3.11 (make PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Stamp files record what was installed, so a second run installs nothing.
$(VENV)/.installed-base: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed-base
	$(PIP) -e ".[test]"
	@touch $@

# Grading runs student code under bubblewrap (course_tools.sandbox). Installed where this user
# can (root with apt); elsewhere grading tests run without the sandbox and say so.
sandbox:
	@command -v bwrap >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get install -y -qq bubblewrap >/dev/null 2>&1 || \
	     (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq bubblewrap >/dev/null 2>&1)) \
	    && echo "installed bubblewrap" || echo "could not install bubblewrap: grading tests run without the sandbox"; \
	  else echo "bubblewrap is missing (apt-get install bubblewrap, as root): grading tests run without the sandbox"; fi; }

# Debian's packages for the service tests, installed where this user can (root with apt);
# elsewhere the tests that need them skip and say what to install.
define apt_install
	@command -v $(1) >/dev/null 2>&1 || test -x "$(3)" || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get install -y -qq $(2) >/dev/null 2>&1 || \
	     (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq $(2) >/dev/null 2>&1)) \
	    && echo "installed $(2)" || echo "could not install $(2): $(4) skip"; \
	  else echo "$(2) is missing (apt-get install $(2), as root): $(4) skip"; fi; }
endef

# The gradebook test against a real server (tests/pipeline/test_postgres_gradebook.py).
postgres:
	$(call apt_install,pg_ctlcluster,postgresql,$(lastword $(wildcard /usr/lib/postgresql/*/bin/initdb)),the PostgreSQL tests)

# The browser tests drive Debian's Chromium (Playwright's own download is not used).
chromium:
	$(call apt_install,chromium,chromium,/usr/bin/chromium,the browser tests)

# The hub's proxy, from npm, into the virtual environment (tests/hub).
CHP_VERSION ?= 5.3.0
hub-proxy: $(BIN)/python
	@test -x $(VENV)/node_modules/.bin/configurable-http-proxy || { \
	  if command -v npm >/dev/null 2>&1; then \
	    npm install --prefix $(VENV) --no-audit --no-fund --loglevel=error \
	      configurable-http-proxy@$(CHP_VERSION) >/dev/null && echo "installed configurable-http-proxy" \
	    || echo "could not install configurable-http-proxy: the JupyterHub tests skip"; \
	  else echo "npm is missing (Node.js 20 or newer): the JupyterHub tests skip"; fi; }

lab: $(VENV)/.installed-base
	$(BIN)/python -m course_tools.open_lab

# The same JupyterLab with formgrader and the create-assignment toolbar (students never see them).
instructor: $(VENV)/.installed-base
	$(BIN)/python -m course_tools.open_lab --instructor

test: $(VENV)/.installed-test sandbox postgres chromium hub-proxy
	$(BIN)/python -m pytest

test-fast: $(VENV)/.installed-test
	$(BIN)/python -m pytest -m "not slow"

release: $(VENV)/.installed-base
	$(BIN)/python -m course_tools.generate release

solutions: $(VENV)/.installed-base
	$(BIN)/python -m course_tools.generate solutions

generated: release solutions

# WORKERS empty: the command's default, the number of CPUs plus one.
WORKERS ?=
# make grade ASSIGNMENT=01_activations_and_losses [WORKERS=N] [SHARD=K/N]
grade: $(VENV)/.installed-base sandbox
	@test -n "$(ASSIGNMENT)" || { echo "usage: make grade ASSIGNMENT=<assignment> [WORKERS=N] [SHARD=K/N]"; exit 1; }
	$(BIN)/python -m course_tools.parallel_grade $(ASSIGNMENT) $(if $(WORKERS),--workers $(WORKERS)) $(if $(SHARD),--shard $(SHARD)) --course $(CURDIR)

# make similarity ASSIGNMENT=01_activations_and_losses [SIMILARITY_ARGS="--threshold 0.6"]
similarity: $(VENV)/.installed-base
	@test -n "$(ASSIGNMENT)" || { echo "usage: make similarity ASSIGNMENT=<assignment>"; exit 1; }
	$(BIN)/python -m course_tools.similarity $(ASSIGNMENT) --course $(CURDIR) $(SIMILARITY_ARGS)

# make report ASSIGNMENT=01_activations_and_losses [REPORT_ARGS="--formgrader-url URL"]
report: $(VENV)/.installed-base
	@test -n "$(ASSIGNMENT)" || { echo "usage: make report ASSIGNMENT=<assignment>"; exit 1; }
	$(BIN)/python -m course_tools.report $(ASSIGNMENT) --course $(CURDIR) $(REPORT_ARGS)

benchmark: $(VENV)/.installed-test
	$(BIN)/python benchmarks/run_all.py

lock: $(VENV)/.installed-test
	{ echo "# Exact versions the course is tested with (make lock refreshes this file)."; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -v '^torch=='; echo "torch==2.13.0"; } > constraints.txt.new
	mv constraints.txt.new constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
