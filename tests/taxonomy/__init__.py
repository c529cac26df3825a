"""Taxonomy fixtures in the upstream taxonomy's style, and their document repositories."""
