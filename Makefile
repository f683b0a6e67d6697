# parnft: set-up, demo and tests. Every target creates .venv (./setup.sh) when missing.
SHELL := /bin/bash
VENV  ?= .venv
PY    := $(VENV)/bin/python
# Open MPI as root, more ranks than cores, one numba thread per rank
export OMPI_ALLOW_RUN_AS_ROOT := 1
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM := 1
export OMPI_MCA_rmaps_base_oversubscribe := 1
export NUMBA_NUM_THREADS := 1
# Byte-compile once: every test process, MPI rank and CLI subprocess then loads .pyc
# (parnft's modules and pytest's rewritten test modules) instead of recompiling them
# (about 0.2 s CPU a process); an environment with PYTHONDONTWRITEBYTECODE=1 would
# forbid it. The caches live in __pycache__/ folders, which git ignores.
unexport PYTHONDONTWRITEBYTECODE
PYTEST_MPI := $(PY) -m mpi4py -m pytest --with-mpi -m mpi -p no:cacheprovider --color=no -q

.PHONY: setup demo test test-serial test-mpi lint bench

setup:
	./setup.sh

## demo: run the e-erps demo model, write out/e-erps.h5 and out/e-erps.png
demo: setup
	$(VENV)/bin/parnft run configs/e-erps.conf -o out/e-erps.h5
	$(VENV)/bin/parnft plot out/e-erps.h5 --times 0.04,0.07,0.1,0.14 --out out/e-erps.png

## test: lint, the serial suite (2 workers), then the MPI suite at 1, 2 and 4 ranks (+ the sweep at 3, 6)
test: setup lint test-serial test-mpi

lint:
	$(VENV)/bin/ruff check parnft tests benchmarks

test-serial:
	timeout 2400 $(PY) -m pytest -m "not mpi" -p no:cacheprovider -q -n 2 tests

test-mpi:
	for n in 1 2 4; do \
	  echo "== MPI suite on $$n ranks =="; \
	  timeout 1800 mpiexec -n $$n $(PYTEST_MPI) tests/mpi || exit $$?; \
	done
	for n in 3 6; do \
	  echo "== rank-count sweep on $$n ranks =="; \
	  timeout 1200 mpiexec -n $$n $(PYTEST_MPI) tests/mpi/test_rank_sweep.py || exit $$?; \
	done
