"""Each request leaves one JSON line on stderr, tied to its answer by a request id, and no
personal data: the route pattern stands in for the path."""

import json
import re

import pytest
from flask import Flask, g

from training.config import load_config

PHONE = "01012345678"
ACCESS_FIELDS = {
    "time",
    "event",
    "request_id",
    "method",
    "route",
    "endpoint",
    "status",
    "duration_ms",
    "size",
}


def _json_lines(err: str, event: str) -> list[dict]:
    """The JSON lines of one kind in what was written to stderr."""
    found = []
    for raw in err.splitlines():
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        if isinstance(line, dict) and line.get("event") == event:
            found.append(line)
    return found


def _lines(capsys, event: str) -> list[dict]:
    return _json_lines(capsys.readouterr().err, event)


def test_a_request_writes_one_line_with_its_route_pattern_not_its_path(client, capsys):
    capsys.readouterr()

    response = client.get(f"/runs/424242?phone={PHONE}&token=secret-pass")

    err = capsys.readouterr().err
    assert PHONE not in err and "secret-pass" not in err and "424242" not in err
    [line] = _json_lines(err, "request")
    assert set(line) == ACCESS_FIELDS
    assert line["method"] == "GET"
    assert line["route"] == "/runs/<int:run_id>"
    assert line["endpoint"] == "enrollment.run_detail"
    assert line["status"] == response.status_code == 404
    assert line["size"] == len(response.data)
    assert 0 <= line["duration_ms"] < 60_000
    assert line["request_id"] == response.headers["X-Request-ID"]


def test_a_logged_in_request_names_neither_the_person_nor_their_address(
    app, client_for, make_person, capsys
):
    person = make_person(phone=PHONE)
    client = client_for(person)
    client.environ_base["REMOTE_ADDR"] = "203.0.113.77"
    capsys.readouterr()

    client.get("/me")

    err = capsys.readouterr().err
    assert "203.0.113.77" not in err
    assert PHONE not in err and person.name not in err
    [line] = _json_lines(err, "request")
    assert set(line) == ACCESS_FIELDS


def test_a_path_no_route_matches_is_logged_without_it(client, capsys):
    capsys.readouterr()

    client.get(f"/nowhere/{PHONE}")

    [line] = _lines(capsys, "request")
    assert line["status"] == 404
    assert line["route"] is None and line["endpoint"] is None


def test_a_sane_incoming_request_id_is_kept_and_echoed(client, capsys):
    capsys.readouterr()

    response = client.get("/healthz", headers={"X-Request-ID": "nginx-4f2a.9_b"})

    assert response.headers["X-Request-ID"] == "nginx-4f2a.9_b"
    assert g.request_id == "nginx-4f2a.9_b"
    [line] = _lines(capsys, "request")
    assert line["request_id"] == "nginx-4f2a.9_b"


@pytest.mark.parametrize(
    "incoming",
    ["", "a" * 65, "has space", 'quote"d', "new\tline", "가나다", "../../etc"],
)
def test_an_odd_incoming_request_id_is_replaced(client, incoming):
    response = client.get("/healthz", headers={"X-Request-ID": incoming})

    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])
    assert g.request_id == response.headers["X-Request-ID"]


def test_each_request_gets_an_id_of_its_own(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]

    assert first != second


def test_an_unexpected_error_is_logged_with_its_type_and_request_id(
    app, client, capsys, monkeypatch
):
    def broken_view():
        raise LookupError("the view broke")

    monkeypatch.setitem(app.view_functions, "health.healthz", broken_view)
    capsys.readouterr()

    response = client.get("/healthz")

    assert response.status_code == 500
    err = capsys.readouterr().err
    [error] = _json_lines(err, "error")
    assert error["exception"] == "LookupError"
    assert error["request_id"] == response.headers["X-Request-ID"]
    assert error["route"] == "/healthz"
    assert "LookupError" in error["traceback"]
    [access] = _json_lines(err, "request")
    assert access["status"] == 500
    assert access["request_id"] == error["request_id"]


def test_access_log_off_writes_no_line_but_still_gives_an_id(app, client, capsys):
    app.config["ACCESS_LOG"] = False
    capsys.readouterr()

    response = client.get("/healthz")

    assert _lines(capsys, "request") == []
    assert response.headers["X-Request-ID"]


@pytest.mark.parametrize(("value", "expected"), [("off", False), ("0", False), ("on", True)])
def test_access_log_is_read_from_the_environment(monkeypatch, tmp_path, value, expected):
    monkeypatch.setenv("TRAINING_ACCESS_LOG", value)
    bare = Flask(__name__, instance_path=str(tmp_path))

    load_config(bare, None)

    assert bare.config["ACCESS_LOG"] is expected
