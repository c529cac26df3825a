"""Registry entries by a filter column in name order: (column, name, id) indexes.

The release list is sorted by name unless asked otherwise, and most filters are equality on
one of the entry's columns (licence family or category, MOF class, base model). 0100 indexed
them as (column, id): a store could find the filtered entries, then had to sort them all to
show the first page (a licence family: 10,000 entries sorted for 50), or read every entry in
name order and skip the others. (column, name, id) gives the filtered entries in the page's
order: the first page is the first 51 of them, and a name search checks only those.

Revision ID: 0102
Revises: 0101
"""

from __future__ import annotations

from alembic import op

revision = "0102"
down_revision: str | None = "0101"
branch_labels = None
depends_on = None

_COLUMNS = {
    "ix_entry_family": "license_family",
    "ix_entry_category": "license_category",
    "ix_entry_mof": "mof_class",
    "ix_entry_base": "base_model",
}


def upgrade() -> None:
    """Replace each (column, id) index by (column, name, id); the rows stay as they are."""
    for name, column in _COLUMNS.items():
        op.drop_index(name, table_name="registry_entries")
        op.create_index(name, "registry_entries", [column, "name", "id"])


def downgrade() -> None:
    """Back to the (column, id) indexes of 0100."""
    for name, column in _COLUMNS.items():
        op.drop_index(name, table_name="registry_entries")
        op.create_index(name, "registry_entries", [column, "id"])
