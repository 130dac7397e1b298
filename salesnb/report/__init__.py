"""Reports: the registry of reports, what a notebook shows (tables, charts, claims), and publishing."""
