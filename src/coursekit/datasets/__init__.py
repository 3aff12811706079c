"""Seeded data generators and shipped data sets for the course's mini-projects and exercises.

Every generator takes a ``seed`` and returns the same data for the same seed, so notebooks and
tests are reproducible and nothing is downloaded. Import the module you need, e.g.
``from coursekit.datasets import job_postings``.
"""
