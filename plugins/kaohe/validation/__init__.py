"""Great Expectations validation of landed rows, and the quarantine it drives."""
