"""train_classifier: see vocspark.jobs.train_classifier."""
import sys

from vocspark.args import run_job
from vocspark.jobs import train_classifier


def main(argv=None) -> int:
    return run_job("train_classifier", train_classifier.__doc__, train_classifier.add_arguments, train_classifier.run, argv)


if __name__ == "__main__":
    sys.exit(main())
