"""VoC Spark: voice-of-customer analytics on PySpark."""
from pathlib import Path as _Path

__version__ = (_Path(__file__).with_name("VERSION")).read_text().strip()
