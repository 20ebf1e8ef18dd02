"""syswatch: an htop-style terminal monitor for runtime security."""

__version__ = "0.1.0"
