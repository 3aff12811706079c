"""Exercise sources: parse, release and validate."""
