"""How long the server takes to read one camera frame, beside the check-in request itself.

    .venv/bin/python bench/checkin_decode.py [--iterations N]

Measures, N times each (time.perf_counter, milliseconds):

1. decode: ``training.checkin.decoding.decode_qr`` on a 640x480 JPEG camera frame with a pass QR
   in the middle, as a phone without BarcodeDetector sends it, and on one with no code in it
   (noise over a gradient), as most frames are while the camera waits;
2. API check-in, first time: ``POST /api/v1/sessions/<id>/checkins`` with a bearer token,
   a different enrolled person each time (201, a new attendance row);
3. API check-in, repeat: the same request for someone already checked in (200, "already");
4. frame endpoint, first time and repeat: ``POST /checkin/sessions/<id>/frame`` (decode plus
   check-in, through the logged-in page's route).

Requests go through Flask's test client (no network) on a temporary SQLite database in a
temporary folder, with CSRF and rate limits off. This is a benchmark, not a test: it asserts
only that each request answered as expected."""

import argparse
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import qrcode
import qrcode.constants
import qrcode.image.pil
from PIL import Image
from werkzeug.security import generate_password_hash

from training import create_app
from training.accounts.models import ConsentMethod, Person, Role
from training.accounts.services import issue_token
from training.catalog.models import Audience, Category, Course, CourseRun, Delivery, Level, Session
from training.checkin.decoding import decode_qr
from training.clock import to_seoul
from training.enrollment.models import Channel, Enrollment, EnrollmentStatus
from training.extensions import db
from training.passes.tokens import pass_token_for

# bench/harness.py, wherever the script is run from.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.harness import percentile  # noqa: E402

FRAME_SIZE = (640, 480)
PASSWORD = "bench-password-1"


def camera_frame(text: str, quality: int = 80) -> bytes:
    """A 640x480 JPEG like a camera frame sent by the check-in page: the pass QR, 360 pixels
    wide, centred on white (the page sends JPEG at quality 0.8)."""
    code = qrcode.make(
        text,
        image_factory=qrcode.image.pil.PilImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=10,
        border=4,
    )
    code = code.get_image().convert("RGB").resize((360, 360), Image.Resampling.NEAREST)
    frame = Image.new("RGB", FRAME_SIZE, "white")
    frame.paste(code, ((FRAME_SIZE[0] - 360) // 2, (FRAME_SIZE[1] - 360) // 2))
    buffer = io.BytesIO()
    frame.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def empty_frame(quality: int = 80) -> bytes:
    """A 640x480 JPEG with no code in it (grey noise over a gradient), as most frames are
    while the camera waits for the next person: the decoder searches it all and finds nothing."""
    noise = Image.effect_noise(FRAME_SIZE, 48)
    gradient = Image.linear_gradient("L").resize(FRAME_SIZE)
    frame = Image.blend(noise, gradient, 0.5).convert("RGB")
    buffer = io.BytesIO()
    frame.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def progress(label: str, iterations: int) -> Callable[[int], None]:
    """Print the label, then a dot every 20 iterations, then the count."""
    print(f"{label:<32}", end="", file=sys.stderr, flush=True)

    def tick(done: int) -> None:
        if done % 20 == 0:
            print(".", end="", file=sys.stderr, flush=True)
        if done == iterations:
            print(f" {iterations}", file=sys.stderr, flush=True)

    return tick


def timed(label: str, iterations: int, call: Callable[[int], None]) -> list[float]:
    """Run call(i) for i in range(iterations); the milliseconds each took."""
    tick = progress(label, iterations)
    times = []
    for i in range(iterations):
        start = time.perf_counter()
        call(i)
        times.append((time.perf_counter() - start) * 1000)
        tick(i + 1)
    return times


def build_data(iterations: int) -> dict:
    """An instructor, a session in progress, and 2 x iterations + 1 confirmed residents."""
    now = datetime.now(UTC)
    fast_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")

    def person(number: int, role: Role = Role.RESIDENT, password: str | None = None) -> Person:
        record = Person(
            name=f"벤치{number:04d}",
            phone=f"010{90000000 + number:08d}",
            birth_year=1960,
            dong="당산2동",
            role=role,
            password_hash=password,
            consent_version="bench",
            consent_method=ConsentMethod.ONLINE,
        )
        db.session.add(record)
        return record

    instructor = person(0, Role.INSTRUCTOR, fast_hash)
    residents = [person(n) for n in range(1, 2 * iterations + 2)]
    db.session.flush()
    course = Course(
        code="BENCH",
        title="벤치마크",
        category=Category.SMARTPHONE,
        level=Level.BEGINNER,
        audience=Audience.RESIDENT,
        delivery=Delivery.IN_PERSON,
        description="",
    )
    db.session.add(course)
    db.session.flush()
    starts = now - timedelta(minutes=5)
    run = CourseRun(
        course_id=course.id,
        number=1,
        instructor_id=instructor.id,
        capacity=len(residents),
        starts_on=to_seoul(starts).date(),
        ends_on=to_seoul(starts).date(),
        registration_opens_at=now - timedelta(days=14),
        registration_closes_at=now - timedelta(days=1),
    )
    db.session.add(run)
    db.session.flush()
    session = Session(run_id=run.id, starts_at=starts, ends_at=now + timedelta(hours=2))
    db.session.add(session)
    for resident in residents:
        db.session.add(
            Enrollment(
                run_id=run.id,
                person_id=resident.id,
                status=EnrollmentStatus.CONFIRMED,
                channel=Channel.DESK,
                created_by_id=instructor.id,
                confirmed_at=now,
            )
        )
    db.session.commit()
    tokens = [pass_token_for(resident) for resident in residents]
    # API tokens are rows: the requests, in sessions of their own, see only committed ones.
    bearer = issue_token(instructor)
    db.session.commit()
    return {
        "session_id": session.id,
        "instructor_phone": instructor.phone,
        "bearer": bearer,
        # Pass 0 is checked in once before the repeat runs; 1..N for the API's first-time
        # path, N+1..2N for the frame endpoint's.
        "repeat_token": tokens[0],
        "api_tokens": tokens[1 : iterations + 1],
        "frame_tokens": tokens[iterations + 1 :],
    }


def expect(response, status: int, result: str) -> None:
    body = response.get_json(silent=True) or {}
    if response.status_code != status or body.get("result") != result:
        raise SystemExit(
            f"unexpected answer {response.status_code} {response.get_data(as_text=True)[:300]}"
        )


def summary(times: list[float]) -> tuple[float, float]:
    return statistics.median(times), percentile(times, 0.95)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=200, help="runs of each (200)")
    options = parser.parse_args()
    iterations = options.iterations
    if iterations < 1:
        parser.error("--iterations must be at least 1")

    with tempfile.TemporaryDirectory(prefix="checkin-bench-") as folder:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(folder) / 'bench.sqlite3'}",
                "SECRET_KEY": "bench",
                "RATELIMIT": False,
                "WTF_CSRF_ENABLED": False,
            }
        )
        app.instance_path = folder
        with app.app_context():
            db.create_all()
            data = build_data(iterations)
        session_id = data["session_id"]

        frame = camera_frame(data["repeat_token"])
        if decode_qr(frame) != [data["repeat_token"]]:
            raise SystemExit("the benchmark frame does not decode to its pass")
        no_code = empty_frame()
        if decode_qr(no_code):
            raise SystemExit("the empty frame has a code in it")
        first_frames = [camera_frame(token) for token in data["frame_tokens"]]

        api = app.test_client()
        headers = {"Authorization": f"Bearer {data['bearer']}"}
        api_url = f"/api/v1/sessions/{session_id}/checkins"
        page = app.test_client()
        login = page.post("/login", data={"phone": data["instructor_phone"], "password": PASSWORD})
        if login.status_code != 302:
            raise SystemExit(f"the instructor could not log in ({login.status_code})")
        frame_url = f"/checkin/sessions/{session_id}/frame"
        jpeg = {"content_type": "image/jpeg"}

        # Warm up: imports, first connections, the repeat pass checked in once.
        decode_qr(frame)
        expect(
            api.post(api_url, json={"token": data["repeat_token"]}, headers=headers), 201, "present"
        )
        expect(page.post(frame_url, data=frame, **jpeg), 200, "already")

        results = {
            "decode_qr (640x480 JPEG)": timed("decode_qr", iterations, lambda i: decode_qr(frame)),
            "decode_qr, no code in frame": timed(
                "decode_qr, no code", iterations, lambda i: decode_qr(no_code)
            ),
            "API check-in, first time": timed(
                "API check-in, first time",
                iterations,
                lambda i: expect(
                    api.post(api_url, json={"token": data["api_tokens"][i]}, headers=headers),
                    201,
                    "present",
                ),
            ),
            "API check-in, repeat": timed(
                "API check-in, repeat",
                iterations,
                lambda i: expect(
                    api.post(api_url, json={"token": data["repeat_token"]}, headers=headers),
                    200,
                    "already",
                ),
            ),
            "frame endpoint, first time": timed(
                "frame endpoint, first time",
                iterations,
                lambda i: expect(
                    page.post(frame_url, data=first_frames[i], **jpeg), 201, "present"
                ),
            ),
            "frame endpoint, repeat": timed(
                "frame endpoint, repeat",
                iterations,
                lambda i: expect(page.post(frame_url, data=frame, **jpeg), 200, "already"),
            ),
        }
        with app.app_context():
            db.engine.dispose()

    print()
    print(f"Check-in timings, {iterations} iterations each, SQLite, Flask test client")
    print(
        f"frames: {FRAME_SIZE[0]}x{FRAME_SIZE[1]} JPEG, {len(frame):,} bytes with a pass QR, "
        f"{len(no_code):,} bytes without"
    )
    print()
    print(f"{'':<30}{'median ms':>12}{'p95 ms':>12}")
    for label, times in results.items():
        median, p95 = summary(times)
        print(f"{label:<30}{median:>12.2f}{p95:>12.2f}")
    decode = statistics.median(results["decode_qr (640x480 JPEG)"])
    print()
    for label in ("API check-in, first time", "API check-in, repeat"):
        request = statistics.median(results[label])
        print(f"decode / {label}: {decode / request:.2f} (medians)")


if __name__ == "__main__":
    main()
