"""drift: TF-IDF top terms per (category, period) and per (category, star rating) of the reviews, and the overlap
of the top-k lists between consecutive periods and adjacent star ratings, as Parquet + CSV tables."""
import sys

from vocspark.args import run_job
from vocspark.jobs import drift


def main(argv=None) -> int:
    return run_job("drift", __doc__, drift.add_arguments, drift.run, argv)


if __name__ == "__main__":
    sys.exit(main())
