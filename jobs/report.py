"""report: one self-contained HTML report (plots embedded) from the analytics, drift, sample and graph tables and
the models' metadata, at <base>/analytics/report/report.html."""
import sys

from vocspark.args import run_job
from vocspark.jobs import report


def main(argv=None) -> int:
    return run_job("report", __doc__, report.add_arguments, report.run, argv)


if __name__ == "__main__":
    sys.exit(main())
