"""graph_export: the product graph of the reviews (customer, product, review, category; WROTE, BOUGHT, REVIEWED,
ASSIGNED, PREDICTED) as GraphFrames-ready Parquet and Amazon Neptune bulk-load CSV, plus the ranking of products
whose reviews the classifier puts in another category."""
import sys

from vocspark.args import run_job
from vocspark.jobs import graph_export


def main(argv=None) -> int:
    return run_job("graph_export", __doc__, graph_export.add_arguments, graph_export.run, argv)


if __name__ == "__main__":
    sys.exit(main())
