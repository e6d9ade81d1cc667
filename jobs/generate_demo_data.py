"""generate_demo_data: deterministic demo raw files (reviews TSV, Firehose tweets, Instagram CSV) and their truth.

Defaults come from the `demo:` section of the config; see vocspark.jobs.generate_demo_data.
Example: python jobs/generate_demo_data.py --reviews 100000 --tweets 50000 --comments 50000 --seed 7
"""
import sys

import vocspark.jobs.generate_demo_data
from vocspark.args import run_job


def main(argv=None) -> int:
    return run_job(
        "generate_demo_data", __doc__, vocspark.jobs.generate_demo_data.add_arguments,
        vocspark.jobs.generate_demo_data.run, argv,
    )


if __name__ == "__main__":
    sys.exit(main())
