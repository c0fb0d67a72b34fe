"""The year's plan per audience, for plan-against-actual."""

from sqlalchemy import CheckConstraint, Float, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from training.catalog.models import Audience
from training.db_types import enum_column_type
from training.extensions import db


class Plan(db.Model):
    __tablename__ = "plans"
    __table_args__ = (
        UniqueConstraint("year", "audience", name="uq_plans_year_audience"),
        CheckConstraint("runs >= 0 AND hours >= 0", name="non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    audience: Mapped[Audience] = mapped_column(enum_column_type(Audience, "plan_audience"))
    runs: Mapped[int] = mapped_column(Integer)
    hours: Mapped[float] = mapped_column(Float)
