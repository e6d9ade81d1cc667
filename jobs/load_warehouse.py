"""load_warehouse: topic predictions and the users' 30-day subjects -> warehouse tables (Redshift / PostgreSQL)
by JDBC upsert (staging table, then delete matching keys + insert in one transaction), with a run manifest."""
import sys

from vocspark.args import run_job
from vocspark.jobs import load_warehouse


def main(argv=None) -> int:
    return run_job("load_warehouse", __doc__, load_warehouse.add_arguments, load_warehouse.run, argv)


if __name__ == "__main__":
    sys.exit(main())
