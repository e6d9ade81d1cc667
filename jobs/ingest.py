"""ingest: read every configured raw source into the `documents` dataset (+ rejected rows and a run manifest)."""
import sys

from vocspark.args import run_job
from vocspark.jobs import ingest


def main(argv=None) -> int:
    return run_job("ingest", __doc__, ingest.add_arguments, ingest.run, argv)


if __name__ == "__main__":
    sys.exit(main())
