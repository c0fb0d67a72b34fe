"""Helpers for declaring model columns the same way everywhere."""

import enum

from sqlalchemy import Enum


def enum_column_type(enum_class: type[enum.Enum], name: str) -> Enum:
    """A portable enum column: VARCHAR of the values plus a CHECK constraint."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in enum_class),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
