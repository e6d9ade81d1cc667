"""promote: see vocspark.jobs.promote."""
import sys

from vocspark.args import run_job
from vocspark.jobs import promote


def main(argv=None) -> int:
    return run_job("promote", promote.__doc__, promote.add_arguments, promote.run, argv)


if __name__ == "__main__":
    sys.exit(main())
