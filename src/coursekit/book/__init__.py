"""Building the course book: Sphinx extensions and the `coursekit build` pipeline."""
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def add_coursekit_static(app) -> None:
    """Serve coursekit's static files (quiz and theme scripts) from the book's _static."""
    static = str(STATIC_DIR)
    if static not in app.config.html_static_path:
        app.config.html_static_path.append(static)
