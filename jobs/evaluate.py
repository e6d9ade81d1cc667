"""evaluate: see vocspark.jobs.evaluate."""
import sys

from vocspark.args import run_job
from vocspark.jobs import evaluate


def main(argv=None) -> int:
    return run_job("evaluate", evaluate.__doc__, evaluate.add_arguments, evaluate.run, argv)


if __name__ == "__main__":
    sys.exit(main())
