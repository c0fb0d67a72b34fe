"""Venues, rooms, courses, course runs and their class sessions."""

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from training.db_types import UTCDateTime, utcnow
from training.extensions import db
from training.models_base import enum_column_type


class Audience(enum.Enum):
    RESIDENT = "resident"
    STAFF = "staff"


class Delivery(enum.Enum):
    IN_PERSON = "in_person"
    ONLINE = "online"


class Level(enum.Enum):
    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"


class Category(enum.Enum):
    COMPUTER = "computer"
    SMARTPHONE = "smartphone"
    VIDEO = "video"
    IT_TRENDS = "it_trends"
    KIOSK = "kiosk"
    CREATOR = "creator"
    FUTURE_TECH = "future_tech"
    STAFF_IT = "staff_it"


class Selection(enum.Enum):
    FIRST_COME = "first_come"
    LOTTERY = "lottery"


class Venue(db.Model):
    __tablename__ = "venues"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    address: Mapped[str] = mapped_column(String(200))

    rooms: Mapped[list["Room"]] = relationship(back_populates="venue", order_by="Room.name")


class Room(db.Model):
    __tablename__ = "rooms"
    __table_args__ = (
        UniqueConstraint("venue_id", "name", name="uq_rooms_venue_name"),
        CheckConstraint("seats > 0", name="seats_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"))
    name: Mapped[str] = mapped_column(String(60))
    seats: Mapped[int] = mapped_column(Integer)

    venue: Mapped[Venue] = relationship(back_populates="rooms")


class Course(db.Model):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    category: Mapped[Category] = mapped_column(enum_column_type(Category, "category"))
    level: Mapped[Level] = mapped_column(enum_column_type(Level, "level"))
    audience: Mapped[Audience] = mapped_column(enum_column_type(Audience, "audience"))
    delivery: Mapped[Delivery] = mapped_column(enum_column_type(Delivery, "delivery"))
    description: Mapped[str] = mapped_column(Text, default="")

    runs: Mapped[list["CourseRun"]] = relationship(back_populates="course")


class CourseRun(db.Model):
    __tablename__ = "course_runs"
    __table_args__ = (
        UniqueConstraint("course_id", "number", name="uq_course_runs_course_number"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("ends_on >= starts_on", name="dates"),
        CheckConstraint("registration_closes_at > registration_opens_at", name="window"),
        CheckConstraint("completion_threshold BETWEEN 1 AND 100", name="completion_threshold"),
        CheckConstraint("min_age IS NULL OR max_age IS NULL OR min_age <= max_age", name="ages"),
        CheckConstraint("lates_per_absence >= 0", name="lates_per_absence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"))
    instructor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    capacity: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[date] = mapped_column(Date, index=True)
    ends_on: Mapped[date] = mapped_column(Date, index=True)
    registration_opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    registration_closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    selection: Mapped[Selection] = mapped_column(
        enum_column_type(Selection, "selection"), default=Selection.FIRST_COME
    )
    completion_threshold: Mapped[int] = mapped_column(Integer, default=80)
    # How attendance counts towards completion (see training.certificates.completion).
    is_late_attended: Mapped[bool] = mapped_column(default=True, server_default="1")
    lates_per_absence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    is_excused_left_out: Mapped[bool] = mapped_column(default=True, server_default="1")
    min_age: Mapped[int | None] = mapped_column(Integer)
    max_age: Mapped[int | None] = mapped_column(Integer)
    lottery_seed: Mapped[int | None] = mapped_column(BigInteger)
    lottery_drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lottery_drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    course: Mapped[Course] = relationship(back_populates="runs")
    room: Mapped[Room | None] = relationship()
    instructor = relationship("Person", foreign_keys=[instructor_id])
    sessions: Mapped[list["Session"]] = relationship(
        back_populates="run", order_by="Session.starts_at", cascade="all, delete-orphan"
    )

    @property
    def title(self) -> str:
        return f"{self.course.title} {self.number}기"

    @property
    def total_hours(self) -> float:
        seconds = sum((s.ends_at - s.starts_at).total_seconds() for s in self.sessions)
        return round(seconds / 3600, 2)

    @property
    def is_lottery(self) -> bool:
        return self.selection is Selection.LOTTERY

    def registration_is_open(self, now: datetime) -> bool:
        return self.registration_opens_at <= now < self.registration_closes_at


class Session(db.Model):
    __tablename__ = "sessions"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="times"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("course_runs.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())

    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))

    run: Mapped[CourseRun] = relationship(back_populates="sessions")
