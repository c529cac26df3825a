"""The indented JSON writer of the BOMs (kept here for the BOM modules that import it)."""

from clearweights._jsontext import Raw, dumps_indented, quoted, template

__all__ = ["Raw", "dumps_indented", "quoted", "template"]
