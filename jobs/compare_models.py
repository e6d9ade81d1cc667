"""compare_models: see vocspark.jobs.compare_models."""
import sys

from vocspark.args import run_job
from vocspark.jobs import compare_models


def main(argv=None) -> int:
    return run_job("compare_models", compare_models.__doc__, compare_models.add_arguments, compare_models.run, argv)


if __name__ == "__main__":
    sys.exit(main())
