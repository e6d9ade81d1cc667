"""analytics: descriptive tables of the review corpus (volume, length, ratings, helpfulness, positive/negative,
repeat reviewers, volume per source) as small Parquet + CSV tables under <base>/analytics/."""
import sys

from vocspark.args import run_job
from vocspark.jobs import analytics


def main(argv=None) -> int:
    return run_job("analytics", __doc__, analytics.add_arguments, analytics.run, argv)


if __name__ == "__main__":
    sys.exit(main())
