"""mediaquery: self-hosted media analysis and query service."""

__version__ = "0.1.0"
