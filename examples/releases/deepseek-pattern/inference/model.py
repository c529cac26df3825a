"""Model definition."""
