"""coursekit: the toolkit behind the AI & ML careers course."""
__version__ = "0.1.0"
