"""Cohorts and the trainer's views of them."""
