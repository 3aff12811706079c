"""What students call from their notebooks."""
