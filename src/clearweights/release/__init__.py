"""A model release as read from its own files."""
