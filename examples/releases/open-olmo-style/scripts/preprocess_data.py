"""Deduplicate and filter the corpus."""
