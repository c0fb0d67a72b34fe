"""The planning API through the test client: venues, courses, runs and their sessions, staff
tokens only for writes, refusals with their codes."""


def test_venues_are_listed_with_their_rooms_for_anyone(client, db, make_room):
    room = make_room(seats=20)
    room.venue.phone = "02-2670-1234"
    db.session.commit()

    response = client.get("/api/v1/venues")

    assert response.status_code == 200
    assert response.get_json() == [
        {
            "id": room.venue.id,
            "name": "평생스마트교육장",
            "address": "서울 영등포구 대림3동",
            "phone": "02-2670-1234",
            "rooms": [{"id": room.id, "name": room.name, "seats": 20}],
        }
    ]


def test_the_venues_need_no_token_in_the_document(client):
    document = client.get("/api/v1/openapi.json").get_json()

    assert "security" not in document["paths"]["/venues"]["get"]
