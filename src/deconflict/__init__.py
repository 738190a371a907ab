"""deconflict: advance notices, conflict detection and a verifiable record for a shared sky."""

__version__ = "0.1.0"
__all__ = ["__version__"]
