"""VoC Spark: voice-of-customer analytics on PySpark."""
import pkgutil as _pkgutil

# pkgutil reads package data from a folder, a wheel or the zip shipped with --py-files alike.
__version__ = (_pkgutil.get_data(__name__, "VERSION") or b"0+unknown").decode().strip()
