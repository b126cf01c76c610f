# make run: set up .venv on first use, then run the main job (genlab reproduce --preset quick).
# make test: same set-up, then the test suite.
PY ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: run test bench lint clean browser

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/genlab reproduce --preset quick

# The report's browser test needs headless Chromium and its driver (Debian packages); a no-op
# when they are present; installs them with apt-get when missing (as root, e.g. in CI).
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver; }

# The browser test's screenshot is kept in test-artifacts/.
test: $(STAMP) browser
	GENLAB_REQUIRE_BROWSER=1 $(VENV)/bin/python -m pytest -n 2 --dist loadfile

bench: $(STAMP)
	$(VENV)/bin/genlab bench train

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests

clean:
	rm -rf $(VENV) genlab-runs test-artifacts
