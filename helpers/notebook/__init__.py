"""Notebook experience: tables and JSON, records for the tests, progress, the run viewer, errors on purpose."""

from helpers.notebook.display import show_json, show_table
from helpers.notebook.environment import check_packages, python_ok
from helpers.notebook.expected import expect_error
from helpers.notebook.progress import Progress
from helpers.notebook.records import read_records, record
from helpers.notebook.viewer import show_run

__all__ = [
    "Progress",
    "check_packages",
    "expect_error",
    "python_ok",
    "read_records",
    "record",
    "show_json",
    "show_run",
    "show_table",
]
