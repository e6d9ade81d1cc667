"""train_topics: see vocspark.jobs.train_topics."""
import sys

from vocspark.args import run_job
from vocspark.jobs import train_topics


def main(argv=None) -> int:
    return run_job("train_topics", train_topics.__doc__, train_topics.add_arguments, train_topics.run, argv)


if __name__ == "__main__":
    sys.exit(main())
