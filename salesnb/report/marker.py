"""What an executed notebook carries for the runner and the tests: its completion mark and its figures."""

COMPLETE_MARKER = "salesnb: report complete"
COMPLETE_TAG = "salesnb-complete"
FIGURES_MIME = "application/vnd.salesnb.figures+json"
