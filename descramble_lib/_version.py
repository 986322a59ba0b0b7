"""The library version, kept in one place (it keys the DEERNet weight cache)."""

__version__ = "0.2.0"
