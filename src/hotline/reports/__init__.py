"""Periodic analysis reports (weekly/monthly) built from ticket data, rendered to Excel, PDF and HTML."""
