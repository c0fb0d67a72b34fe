"""A request body over the limit is refused with 413 before it is read: 8 MB anywhere, 2 MB for
a camera frame, answered in JSON to the API and the door screen's script, as a page otherwise."""

import io
from datetime import UTC, datetime, timedelta

import pytest
import qrcode
from flask import Flask

from training.accounts.models import Role
from training.catalog.models import Session
from training.checkin.routes import MAX_FRAME_BYTES
from training.config import DEFAULTS, load_config
from training.passes.tokens import pass_token_for
from training.planning.import_routes import REQUEST_OVERHEAD_BYTES
from training.planning.importing import MAX_UPLOAD_BYTES

MB = 1024 * 1024
SCRIPT = {"Accept": "application/json"}


class CountingStream(io.RawIOBase):
    """A request body of `size` bytes that counts how much of it was read (the test client
    seeks to its end to measure it, which reads nothing)."""

    def __init__(self, size: int):
        self.size = size
        self.position = 0
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = base + offset
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer) -> int:
        count = max(0, min(len(buffer), self.size - self.position))
        buffer[:count] = b"\xff" * count
        self.position += count
        self.bytes_read += count
        return count


@pytest.fixture
def live_session(db, make_person, make_run, make_enrollment):
    """A session that began five minutes ago, its instructor and one trainee."""
    instructor = make_person(role=Role.INSTRUCTOR)
    now = datetime.now(UTC)
    run = make_run(starts_on=(now + timedelta(days=7)).date(), sessions=1)
    run.instructor_id = instructor.id
    session = Session(
        run_id=run.id, starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(hours=2)
    )
    db.session.add(session)
    db.session.flush()
    trainee = make_enrollment(run).person
    db.session.commit()
    return session, instructor, trainee


@pytest.fixture
def door(live_session, client_for):
    session, instructor, _ = live_session
    return client_for(instructor), f"/checkin/sessions/{session.id}/frame"


def _post_stream(client, path, stream, **kwargs):
    """POST the stream as the body; the test client gives it its length."""
    return client.post(path, input_stream=stream, **kwargs)


def _assert_too_large_json(response):
    assert response.status_code == 413
    assert response.is_json
    assert response.get_json()["error"]["code"] == "too_large"
    assert response.get_json()["error"]["message"]


def test_the_default_limit_is_eight_megabytes(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 8 * MB


def test_the_limit_is_read_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TRAINING_MAX_CONTENT_LENGTH", str(3 * MB))
    bare = Flask(__name__, instance_path=str(tmp_path))

    load_config(bare, None)

    assert bare.config["MAX_CONTENT_LENGTH"] == 3 * MB


def test_a_term_import_upload_fits_under_the_global_limit():
    assert DEFAULTS["MAX_CONTENT_LENGTH"] >= MAX_UPLOAD_BYTES + REQUEST_OVERHEAD_BYTES


def test_a_frame_over_its_limit_is_refused_unread(door):
    client, path = door
    body = CountingStream(MAX_FRAME_BYTES + 1)

    response = _post_stream(
        client,
        path,
        body,
        content_type="image/jpeg",
        headers=SCRIPT,
    )

    _assert_too_large_json(response)
    assert body.bytes_read == 0


def test_a_frame_over_its_limit_is_refused_unread_before_the_csrf_check(app, door):
    # In production the CSRF check opens the body first, looking for a form field.
    app.config["WTF_CSRF_ENABLED"] = True
    client, path = door
    body = CountingStream(MAX_FRAME_BYTES + 1)

    response = _post_stream(client, path, body, content_type="image/jpeg", headers=SCRIPT)

    _assert_too_large_json(response)
    assert body.bytes_read == 0


def test_a_frame_sent_without_a_length_is_read_no_further_than_its_limit(door):
    # A chunked upload: the server (gunicorn) ends the stream and Werkzeug stops reading at
    # the limit. It does not read on to tell "too large" from "exactly the limit", so what
    # is past the limit is cut off: the view sees a broken image, never 5 MB.
    client, path = door
    body = CountingStream(5 * MB)

    response = _post_stream(
        client,
        path,
        body,
        content_type="image/jpeg",
        headers={**SCRIPT, "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )

    assert body.bytes_read <= MAX_FRAME_BYTES
    assert response.status_code == 200
    assert response.get_json()["result"] == "no_code"


def test_a_frame_under_its_limit_is_still_decoded(door, live_session):
    client, path = door
    token = pass_token_for(live_session[2])
    image = io.BytesIO()
    qrcode.make(token).save(image)

    response = client.post(path, data=image.getvalue(), content_type="image/png", headers=SCRIPT)

    assert response.status_code == 201
    assert (response.get_json()["result"], response.get_json()["token"]) == ("present", token)


def test_a_page_over_the_global_limit_answers_a_page_in_korean(client):
    body = CountingStream(8 * MB + 1)

    response = _post_stream(
        client,
        "/login",
        body,
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "보낸 내용이 너무 큽니다" in response.get_data(as_text=True)
    assert body.bytes_read == 0


def test_the_api_over_the_global_limit_answers_json(client):
    body = CountingStream(8 * MB + 1)

    response = _post_stream(
        client,
        "/api/v1/auth/token",
        body,
        content_type="application/json",
    )

    _assert_too_large_json(response)
    assert body.bytes_read == 0


def test_a_body_under_the_global_limit_is_read_as_before(client):
    response = client.post("/login", data={"phone": "010-0000-0000", "password": "x" * (3 * MB)})

    assert response.status_code != 413
