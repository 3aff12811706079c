"""Grading submissions: run student code in a confined child, evaluate tests outside it."""
