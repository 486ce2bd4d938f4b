"""revops: the open-source Revenue Operations engine."""

__version__ = "0.1.0"
