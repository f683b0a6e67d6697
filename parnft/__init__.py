"""parnft: distributed neural field theory simulation, NFTsim-compatible.

Public API::

    spec = parnft.read_config("model.conf")     # typed, validated ModelSpec
    sim = parnft.Simulation(spec, comm)          # built on this rank's tile
    parnft.run("model.conf", "out.h5")           # read, run, write HDF5
    ds = parnft.open_dataset("out.h5")           # xarray.Dataset
"""

from ._version import __version__

__all__ = ["Simulation", "__version__", "open_dataset", "read_config", "run"]


def __getattr__(name):
    # lazy imports keep `import parnft` fast (numba, h5py, xarray load on use)
    if name == "read_config":
        from .config import read_config

        return read_config
    if name == "Simulation":
        from .solver import Simulation

        return Simulation
    if name == "run":
        from .api import run

        return run
    if name == "open_dataset":
        from .io.read import open_dataset

        return open_dataset
    raise AttributeError(f"module 'parnft' has no attribute {name!r}")
