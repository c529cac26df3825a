"""Hostile releases, built by code at test time, run through every command that reads them."""
