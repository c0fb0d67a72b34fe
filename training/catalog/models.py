"""Venues, rooms, courses, course runs and their class sessions."""

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from training.clock import utcnow
from training.db_types import UTCDateTime, enum_column_type
from training.extensions import db


class Audience(enum.Enum):
    RESIDENT = "resident"
    STAFF = "staff"

    @property
    def label(self) -> str:
        """The name people read, in the request's language."""
        return str(_AUDIENCE_LABELS[self])


# Each label is translated when it is read, alone: building every label of an enum to read one
# of them cost a catalogue page thousands of lookups.
_AUDIENCE_LABELS = {Audience.RESIDENT: _l("구민"), Audience.STAFF: _l("직원")}


class Delivery(enum.Enum):
    IN_PERSON = "in_person"
    ONLINE = "online"

    @property
    def label(self) -> str:
        """The name people read, in the request's language."""
        return str(_DELIVERY_LABELS[self])


_DELIVERY_LABELS = {Delivery.IN_PERSON: _l("집합교육"), Delivery.ONLINE: _l("비대면(온라인)")}


class Level(enum.Enum):
    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"

    @property
    def label(self) -> str:
        """The name people read, in the request's language."""
        return str(_LEVEL_LABELS[self])


_LEVEL_LABELS = {
    Level.BEGINNER: _l("입문"),
    Level.INTERMEDIATE: _l("중급"),
    Level.ADVANCED: _l("고급"),
}


class Category(enum.Enum):
    COMPUTER = "computer"
    SMARTPHONE = "smartphone"
    VIDEO = "video"
    IT_TRENDS = "it_trends"
    KIOSK = "kiosk"
    CREATOR = "creator"
    FUTURE_TECH = "future_tech"
    STAFF_IT = "staff_it"

    @property
    def label(self) -> str:
        """The name people read, in the request's language."""
        return str(_CATEGORY_LABELS[self])


_CATEGORY_LABELS = {
    Category.COMPUTER: _l("컴퓨터"),
    Category.SMARTPHONE: _l("스마트폰"),
    Category.VIDEO: _l("영상 편집"),
    Category.IT_TRENDS: _l("IT 트렌드"),
    Category.KIOSK: _l("키오스크"),
    Category.CREATOR: _l("유튜브 크리에이터"),
    Category.FUTURE_TECH: _l("4차 산업혁명 기술"),
    Category.STAFF_IT: _l("직원 IT 실무"),
}


class Selection(enum.Enum):
    FIRST_COME = "first_come"
    LOTTERY = "lottery"

    @property
    def label(self) -> str:
        """The name people read, in the request's language."""
        return str(_SELECTION_LABELS[self])


_SELECTION_LABELS = {Selection.FIRST_COME: _l("선착순"), Selection.LOTTERY: _l("추첨")}


class Venue(db.Model):
    __tablename__ = "venues"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    address: Mapped[str] = mapped_column(String(200))
    # Shown to residents, who are told to phone the centre.
    phone: Mapped[str | None] = mapped_column(String(20))

    rooms: Mapped[list["Room"]] = relationship(back_populates="venue", order_by="Room.name")


class Room(db.Model):
    __tablename__ = "rooms"
    __table_args__ = (
        UniqueConstraint("venue_id", "name", name="uq_rooms_venue_name"),
        CheckConstraint("seats > 0", name="seats_positive"),
        CheckConstraint("pcs IS NULL OR pcs >= 0", name="pcs"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(60))
    seats: Mapped[int] = mapped_column(Integer)
    pcs: Mapped[int | None] = mapped_column(Integer)

    venue: Mapped[Venue] = relationship(back_populates="rooms")


class Course(db.Model):
    __tablename__ = "courses"
    __table_args__ = (
        CheckConstraint("hours IS NULL OR hours > 0", name="hours"),
        CheckConstraint("completion_threshold BETWEEN 1 AND 100", name="completion_threshold"),
        CheckConstraint("lates_per_absence >= 0", name="lates_per_absence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    category: Mapped[Category] = mapped_column(enum_column_type(Category, "category"))
    level: Mapped[Level] = mapped_column(enum_column_type(Level, "level"))
    audience: Mapped[Audience] = mapped_column(enum_column_type(Audience, "audience"))
    delivery: Mapped[Delivery] = mapped_column(enum_column_type(Delivery, "delivery"))
    description: Mapped[str] = mapped_column(Text, default="")
    # What a new run of the course starts from: its hours and completion rule.
    hours: Mapped[float | None] = mapped_column(Float)
    completion_threshold: Mapped[int] = mapped_column(Integer, default=80, server_default="80")
    is_late_attended: Mapped[bool] = mapped_column(default=True, server_default="1")
    lates_per_absence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    is_excused_left_out: Mapped[bool] = mapped_column(default=True, server_default="1")
    # A course with runs is kept for their history; archived, it is offered no more.
    is_archived: Mapped[bool] = mapped_column(default=False, server_default="0")

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
        # A draw is reproduced from its seed, so a drawn lottery always keeps one.
        CheckConstraint(
            "(lottery_drawn_at IS NULL AND lottery_seed IS NULL)"
            " OR (lottery_drawn_at IS NOT NULL AND lottery_seed IS NOT NULL"
            " AND selection = 'lottery')",
            name="lottery_drawn",
        ),
        CheckConstraint(
            "lottery_drawn_by_id IS NULL OR lottery_drawn_at IS NOT NULL", name="lottery_drawn_by"
        ),
        CheckConstraint(
            "(cancelled_at IS NULL AND cancel_reason IS NULL)"
            " OR (cancelled_at IS NOT NULL AND cancel_reason IS NOT NULL)",
            name="cancelled",
        ),
        CheckConstraint("cancelled_by_id IS NULL OR cancelled_at IS NOT NULL", name="cancelled_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="RESTRICT"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id", ondelete="RESTRICT"))
    instructor_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
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
    # Residents of the district only (the office's DISTRICT_ONLY setting also applies).
    is_district_only: Mapped[bool] = mapped_column(default=True, server_default="1")
    lottery_seed: Mapped[int | None] = mapped_column(BigInteger)
    lottery_drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lottery_drawn_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # A cancelled run keeps its record; it no longer counts as held.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    cancel_reason: Mapped[str | None] = mapped_column(String(200))

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
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def is_lottery(self) -> bool:
        return self.selection is Selection.LOTTERY

    def registration_is_open(self, now: datetime) -> bool:
        return self.registration_opens_at <= now < self.registration_closes_at


class Session(db.Model):
    __tablename__ = "sessions"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="times"),
        CheckConstraint("closed_by_id IS NULL OR closed_at IS NOT NULL", name="closed_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("course_runs.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())

    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))

    run: Mapped[CourseRun] = relationship(back_populates="sessions")


class Closure(db.Model):
    """A day with no classes that is not a public holiday: at one venue, or everywhere."""

    __tablename__ = "closures"
    __table_args__ = (
        UniqueConstraint("day", "venue_id", name="uq_closures_day_venue"),
        # NULLs are distinct in a unique constraint: one district-wide closure a day.
        Index(
            "uq_closures_day_everywhere",
            "day",
            unique=True,
            sqlite_where=text("venue_id IS NULL"),
            postgresql_where=text("venue_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))

    venue: Mapped[Venue | None] = relationship()
