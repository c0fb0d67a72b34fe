"""API tokens are kept on the server: a client can log out (revoke the token it holds), list
its person's tokens and revoke any one of them."""

from datetime import datetime

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from training.accounts.models import AuthSession
from training.accounts.retention import anonymize_person
from training.accounts.services import issue_token
from training.audit.models import AuditEntry
from training.clock import utcnow


@pytest.fixture
def member(db, make_person):
    person = make_person()
    db.session.commit()
    return person


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def works(client, token: str) -> bool:
    return client.get("/api/v1/me", headers=bearer(token)).status_code == 200


def test_token_answer_says_when_it_expires(app, client, member):
    response = client.post(
        "/api/v1/auth/token", json={"phone": member.phone, "password": "password123"}
    )

    assert response.status_code == 200
    body = response.get_json()
    assert body["expires_at"].endswith("+09:00")
    lifetime = datetime.fromisoformat(body["expires_at"]) - datetime.now().astimezone()
    assert abs(lifetime.total_seconds() - app.config["API_TOKEN_MAX_AGE"]) < 60
    assert works(client, body["token"])


def test_revoked_token_gets_401(client, db, member):
    token = issue_token(member)
    db.session.commit()

    response = client.delete("/api/v1/auth/token", headers=bearer(token))

    assert response.status_code == 204
    refused = client.get("/api/v1/me", headers=bearer(token))
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "unauthorized"
    assert db.session.scalars(select(AuthSession.end_reason)).one() == "revoked"
    assert db.session.scalars(select(AuditEntry.action)).all() == ["token.revoke"]


def test_revoking_one_token_leaves_the_others(client, db, member):
    kept, revoked = issue_token(member), issue_token(member)
    db.session.commit()

    client.delete("/api/v1/auth/token", headers=bearer(revoked))

    assert works(client, kept)


def test_revoking_needs_a_token(client):
    assert client.delete("/api/v1/auth/token").status_code == 401


def test_tokens_are_listed_without_their_secrets(client, db, member, make_person):
    mine = issue_token(member, label="curl")
    other = issue_token(member, label="python-requests")
    issue_token(make_person())
    db.session.commit()

    response = client.get("/api/v1/auth/tokens", headers=bearer(mine))

    assert response.status_code == 200
    listed = response.get_json()
    assert sorted(token["label"] for token in listed) == ["curl", "python-requests"]
    assert [token["label"] for token in listed if token["is_current"]] == ["curl"]
    assert mine not in response.get_data(as_text=True)
    assert other not in response.get_data(as_text=True)


def test_browser_sessions_are_not_listed_as_tokens(client, client_for, db, member):
    client_for(member)
    token = issue_token(member)
    db.session.commit()

    listed = client.get("/api/v1/auth/tokens", headers=bearer(token)).get_json()

    assert len(listed) == 1


def test_a_token_is_revoked_by_its_id(client, db, member):
    mine, lost = issue_token(member), issue_token(member)
    db.session.commit()
    listed = client.get("/api/v1/auth/tokens", headers=bearer(mine)).get_json()
    (lost_id,) = [token["id"] for token in listed if not token["is_current"]]

    response = client.delete(f"/api/v1/auth/tokens/{lost_id}", headers=bearer(mine))

    assert response.status_code == 204
    assert not works(client, lost)
    assert works(client, mine)


def test_someone_elses_token_cannot_be_revoked(client, db, member, make_person):
    mine = issue_token(member)
    theirs = issue_token(make_person())
    db.session.commit()
    their_id = db.session.scalars(select(AuthSession.id).order_by(AuthSession.id)).all()[-1]

    response = client.delete(f"/api/v1/auth/tokens/{their_id}", headers=bearer(mine))

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert works(client, theirs)


def test_a_browser_session_cannot_be_revoked_as_a_token(client, client_for, db, member):
    browser = client_for(member)
    token = issue_token(member)
    db.session.commit()
    browser_id = db.session.scalars(select(AuthSession.id).order_by(AuthSession.id)).first()

    response = client.delete(f"/api/v1/auth/tokens/{browser_id}", headers=bearer(token))

    assert response.status_code == 404
    assert browser.get("/me").status_code == 200


def test_old_signed_tokens_stop_working(app, client, member):
    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="api-token")
    signed = serializer.dumps({"id": member.id, "v": member.auth_version})

    assert not works(client, signed)


def test_anonymization_ends_every_token(app, client, db, member, staff):
    token = issue_token(member)
    anonymize_person(member, actor=staff, reason="본인 요청", now=utcnow())
    db.session.commit()

    assert not works(client, token)


@pytest.mark.parametrize("token_id", ["0", "99999999999999999999"])
def test_revoking_a_token_that_is_not_there_is_404(client, db, member, token_id):
    token = issue_token(member)
    db.session.commit()

    response = client.delete(f"/api/v1/auth/tokens/{token_id}", headers=bearer(token))

    assert response.status_code == 404
    assert works(client, token)


def test_revoking_ignores_a_junk_body(client, db, member):
    token = issue_token(member)
    db.session.commit()

    response = client.delete(
        "/api/v1/auth/token", headers=bearer(token), data=b"\xff\x00", content_type="image/jpeg"
    )

    assert response.status_code == 204
    assert not works(client, token)
