c = get_config()  # noqa: F821 (nbgrader defines it)
c.IncludeHeaderFooter.header = "source/header.ipynb"
