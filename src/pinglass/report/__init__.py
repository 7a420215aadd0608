"""Run outputs: the ``report.json`` contract, atomic writes and the contact sheet."""

from pinglass.report.contact_sheet import SHEET_NAME, build_contact_sheets, sheet_names
from pinglass.report.models import SCHEMA_VERSION, ImageEntry, Report
from pinglass.report.write import REPORT_NAME, read_report, write_atomic, write_report

__all__ = [
    "REPORT_NAME",
    "SCHEMA_VERSION",
    "SHEET_NAME",
    "ImageEntry",
    "Report",
    "build_contact_sheets",
    "read_report",
    "sheet_names",
    "write_atomic",
    "write_report",
]
