# Two commands do everything on a fresh machine (see README.md):
#   make book   set up .venv and build the rendered book into _build/html
#   make test   set up .venv and run every check: ruff, the book build with -W,
#               unit tests, the docstring examples (doctests), the notebook
#               audit, nbval over every chapter (two workers, one notebook per
#               worker), and every page of the built book in headless Chromium
#               (installed with apt-get if missing)
#
# Other targets: make notebooks (re-execute every chapter in place, after an
# edit), make clean.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Determinism: one thread everywhere, fixed hashing. The notebooks' setup()
# also limits threads, for readers who run them outside make.
export OMP_NUM_THREADS      := 1
export MKL_NUM_THREADS      := 1
export OPENBLAS_NUM_THREADS := 1
export PYTHONHASHSEED       := 0
export JUPYTER_PLATFORM_DIRS := 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1

BOOK_BUILD := $(BIN)/jupyter-book build . -W -n --keep-going
NBVAL_ARGS := --nbval --nbval-current-env --nbval-cell-timeout=300 \
              --nbval-sanitize-with tests/nbval_sanitize.cfg

# Two pytest workers; --dist loadfile keeps each notebook (and the browser test
# module) in one worker, so a notebook's cells share one kernel.
PYTEST_XDIST := -n 2 --dist loadfile

.PHONY: book test notebooks clean chromium

book: $(STAMP)
	$(BOOK_BUILD)
	@echo "The book is in _build/html/index.html"

test: $(STAMP) chromium
	$(BIN)/ruff check rnnbook tests tools book conftest.py
	$(BIN)/ruff format --check rnnbook tests tools conftest.py book/_ext
	$(BOOK_BUILD)
	$(BIN)/pytest $(PYTEST_XDIST) --doctest-modules tests rnnbook book $(NBVAL_ARGS)

# tests/test_browser.py drives Debian's chromium (playwright cannot download its
# own browser here). Installed once, on the first run; a no-op afterwards.
chromium:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

notebooks: $(STAMP)
	$(BIN)/python tools/execute_notebooks.py book/*.ipynb

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	# Build matplotlib's font cache now, so that no notebook prints
	# "Matplotlib is building the font cache" to stderr on its first run.
	$(BIN)/python -c "import matplotlib.pyplot"
	touch $@

clean:
	rm -rf _build
