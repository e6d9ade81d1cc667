"""sample: a deterministic sample of the reviews, stratified per month (at least one row per month), without the
categories too small to represent, plus per-month target/actual counts and the dropped categories."""
import sys

from vocspark.args import run_job
from vocspark.jobs import sample


def main(argv=None) -> int:
    return run_job("sample", __doc__, sample.add_arguments, sample.run, argv)


if __name__ == "__main__":
    sys.exit(main())
