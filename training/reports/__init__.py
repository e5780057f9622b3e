"""Reports: the cohort competency matrix on screen, as PDF, CSV and .xlsx, from one query."""
