"""preprocess: `documents` -> `documents_clean` (clean text, tokens) + `sentences` (+ rejected rows and a run manifest)."""
import sys

from vocspark.args import run_job
from vocspark.jobs import preprocess


def main(argv=None) -> int:
    return run_job("preprocess", __doc__, preprocess.add_arguments, preprocess.run, argv)


if __name__ == "__main__":
    sys.exit(main())
