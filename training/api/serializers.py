"""How runs, sessions and enrollments look in JSON."""

from training.catalog.services import RunListing
from training.clock import to_seoul
from training.enrollment.models import Enrollment


def iso(value) -> str | None:
    return to_seoul(value).isoformat() if value is not None else None


def run_json(listing: RunListing, *, with_sessions: bool = False) -> dict:
    run = listing.run
    room = run.room
    data = {
        "id": run.id,
        "course_id": run.course_id,
        "course_title": run.course.title,
        "number": run.number,
        "title": run.title,
        "audience": run.course.audience.value,
        "delivery": run.course.delivery.value,
        "category": run.course.category.value,
        "level": run.course.level.value,
        "venue": room.venue.name if room else None,
        "room": room.name if room else None,
        "instructor": run.instructor.name if run.instructor else None,
        "capacity": run.capacity,
        "confirmed": listing.confirmed,
        "waitlisted": listing.waitlisted,
        "applied": listing.applied,
        "seats_left": listing.seats_left,
        "selection": run.selection.value,
        "registration_opens_at": iso(run.registration_opens_at),
        "registration_closes_at": iso(run.registration_closes_at),
        "starts_on": run.starts_on.isoformat(),
        "ends_on": run.ends_on.isoformat(),
        "sessions_count": len(run.sessions),
        "hours": run.total_hours,
        "min_age": run.min_age,
        "max_age": run.max_age,
        "lottery_drawn_at": iso(run.lottery_drawn_at),
    }
    if with_sessions:
        data["sessions"] = [
            {"id": s.id, "starts_at": iso(s.starts_at), "ends_at": iso(s.ends_at)}
            for s in run.sessions
        ]
    return data


def enrollment_json(enrollment: Enrollment) -> dict:
    return {
        "id": enrollment.id,
        "run_id": enrollment.run_id,
        "person_id": enrollment.person_id,
        "run_title": enrollment.run.title,
        "status": enrollment.status.value,
        "waitlist_position": enrollment.waitlist_position,
        "channel": enrollment.channel.value,
        "created_at": iso(enrollment.created_at),
        "confirmed_at": iso(enrollment.confirmed_at),
        "cancelled_at": iso(enrollment.cancelled_at),
    }
