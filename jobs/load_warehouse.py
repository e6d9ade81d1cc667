"""load_warehouse: topic predictions and the users' 30-day subjects -> warehouse tables (Redshift / PostgreSQL)
replacing the loaded months / as-of day (staging table, then delete the slice + insert in one transaction per table),
with a run manifest."""
import sys

from vocspark.args import run_job
from vocspark.jobs import load_warehouse


def main(argv=None) -> int:
    return run_job("load_warehouse", __doc__, load_warehouse.add_arguments, load_warehouse.run, argv)


if __name__ == "__main__":
    sys.exit(main())
