"""Building the course book: Sphinx extensions and the `coursekit build` pipeline."""
