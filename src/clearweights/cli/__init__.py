"""The ``clearweights`` command line: a thin layer over the library."""
