"""The parnft version, in a module that imports nothing (any layer may import it)."""

__version__ = "0.1.0"
