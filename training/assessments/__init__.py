"""Competency assessments: rated evidence, append-only history, safety flags, certificates."""
