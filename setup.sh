#!/usr/bin/env bash
# parnft one-command set-up: Open MPI + parallel HDF5 from Debian, a project-local
# virtual environment (.venv) with mpi4py, h5py built against that HDF5 (mpio
# driver), numba, netCDF4, xarray, matplotlib and the test tools.
# Idempotent: a second run only checks (a few seconds).
set -euo pipefail
cd "$(dirname "$0")"
VENV=${VENV:-.venv}
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
H5PY_VERSION=3.16.0
SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
t0=$(date +%s)
log() { echo "[setup $(( $(date +%s) - t0 ))s] $*" >&2; }

# 1. system packages: ONE MPI (Open MPI) shared by mpi4py and HDF5; SLURM and
#    munge for tests/slurm (the tests start their own daemons, nothing runs here);
#    ffmpeg for MP4 movies (parnft movie)
pkgs="libhdf5-openmpi-dev openmpi-bin pkg-config slurmctld slurmd slurm-client munge ffmpeg"
if ! dpkg -s $pkgs >/dev/null 2>&1; then
  log "installing $pkgs (apt)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
fi
HDF5_DIR=$(dpkg -L libhdf5-openmpi-dev | grep -E '^/usr/lib/.*/hdf5/openmpi$' | head -n1)
[ -n "$HDF5_DIR" ] || HDF5_DIR=/usr/lib/$(gcc -print-multiarch)/hdf5/openmpi

# 2. the virtual environment
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
  log "creating $VENV with $PY"
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
fi
VPY="$VENV/bin/python"
export PIP_DISABLE_PIP_VERSION_CHECK=1
if ! "$VPY" -c "import mpi4py, numpy, Cython, pkgconfig" 2>/dev/null; then
  log "installing build prerequisites"
  "$VPY" -m pip install -q "mpi4py>=4.1" "numpy>=1.25,<3" "Cython>=3,<4" pkgconfig \
      "setuptools>=77.0.1" "packaging>=23" wheel
fi

# 3. h5py against the parallel HDF5 (never PyPI's serial wheel, never a cached wheel)
want=$(pkg-config --modversion hdf5-openmpi 2>/dev/null || echo unknown)
if ! "$VPY" -c "import h5py,sys; c=h5py.get_config(); sys.exit(0 if c.mpi and h5py.version.hdf5_version=='$want' else 1)" 2>/dev/null; then
  log "building h5py $H5PY_VERSION against parallel HDF5 $want (about 2-3 min)"
  CC=mpicc HDF5_MPI=ON HDF5_DIR="$HDF5_DIR" H5PY_SETUP_REQUIRES=0 \
    "$VPY" -m pip install -q --no-build-isolation --no-binary=h5py --no-cache-dir \
      --force-reinstall --no-deps "h5py==$H5PY_VERSION"
fi

# 4. the project and its tools; h5py is already satisfied so it is kept
stamp="$VENV/.parnft-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  log "installing parnft (editable) with dev extras"
  "$VPY" -m pip install -q -e ".[dev]"
  touch "$stamp"
fi
"$VPY" -c "import h5py, sys; sys.exit(0 if h5py.get_config().mpi else 'h5py lost its MPI support: rerun with a fresh .venv')"
mpiver=$("$VPY" -c 'import mpi4py.MPI as M; print(M.Get_library_version().split(",")[0].strip())' | tr -d '\0')
log "ready: $VENV (h5py with MPI, $mpiver)"
