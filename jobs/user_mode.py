"""user_mode: the 30-day mode of the topic subject per user (`user_subjects`, or its history / per-comment
backfills), with rejected rows and a run manifest."""
import sys

from vocspark.args import run_job
from vocspark.jobs import user_mode


def main(argv=None) -> int:
    return run_job("user_mode", __doc__, user_mode.add_arguments, user_mode.run, argv)


if __name__ == "__main__":
    sys.exit(main())
