"""infer_classifier: see vocspark.jobs.infer_classifier."""
import sys

from vocspark.args import run_job
from vocspark.jobs import infer_classifier


def main(argv=None) -> int:
    return run_job("infer_classifier", infer_classifier.__doc__, infer_classifier.add_arguments, infer_classifier.run, argv)


if __name__ == "__main__":
    sys.exit(main())
