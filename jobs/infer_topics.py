"""infer_topics: see vocspark.jobs.infer_topics."""
import sys

from vocspark.args import run_job
from vocspark.jobs import infer_topics


def main(argv=None) -> int:
    return run_job("infer_topics", infer_topics.__doc__, infer_topics.add_arguments, infer_topics.run, argv)


if __name__ == "__main__":
    sys.exit(main())
