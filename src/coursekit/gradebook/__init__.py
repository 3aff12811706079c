"""The gradebook: store results, export them, report on them."""
