"""The OpenAPI 3 description of /api/v1."""

ERROR = {"$ref": "#/components/schemas/Error"}
ATTENDANCE = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "session_id": {"type": "integer"},
        "enrollment_id": {"type": "integer"},
        "status": {"type": "string", "enum": ["present", "late", "absent", "excused"]},
        "checked_in_at": {"type": "string", "format": "date-time", "nullable": True},
        "method": {"type": "string", "nullable": True},
    },
}


def _error_responses(*statuses: int) -> dict:
    descriptions = {
        400: "Invalid input (code invalid_parameter, invalid_phone, weak_password, ...)",
        401: "Missing or invalid bearer token, or wrong credentials",
        403: "Not allowed (code forbidden, not_eligible, barred, revoked_pass)",
        404: "Not found (code not_found, not_enrolled)",
        409: "Refused by an enrollment rule (registration_closed, already_enrolled, "
        "already_completed, too_many_enrollments, schedule_conflict, not_cancellable, "
        "phone_taken, outside_window)",
        429: "Too many requests",
    }
    return {
        str(status): {
            "description": descriptions[status],
            "content": {"application/json": {"schema": ERROR}},
        }
        for status in statuses
    }


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def openapi_document() -> dict:
    """The API's description, served at /api/v1/openapi.json."""
    bearer = [{"bearerAuth": []}]
    run_id = {"name": "run_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    session_id = {
        "name": "session_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer"},
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Yeongdeungpo-gu smart education API",
            "version": "1.0.0",
            "description": "Course runs, enrollment and waiting lists. Times are ISO 8601 "
            'with the Asia/Seoul offset. Errors are {"error": {"code", "message"}}.',
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                            },
                        }
                    },
                },
                "Token": {
                    "type": "object",
                    "required": ["token"],
                    "properties": {"token": {"type": "string"}, "id": {"type": "integer"}},
                },
                "Session": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "starts_at": {"type": "string", "format": "date-time"},
                        "ends_at": {"type": "string", "format": "date-time"},
                    },
                },
                "Run": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "course_id": {"type": "integer"},
                        "course_title": {"type": "string"},
                        "number": {"type": "integer", "description": "기수 (run number)"},
                        "title": {"type": "string"},
                        "audience": {"type": "string", "enum": ["resident", "staff"]},
                        "delivery": {"type": "string", "enum": ["in_person", "online"]},
                        "category": {"type": "string"},
                        "level": {
                            "type": "string",
                            "enum": ["beginner", "intermediate", "advanced"],
                        },
                        "venue": {"type": "string", "nullable": True},
                        "room": {"type": "string", "nullable": True},
                        "instructor": {"type": "string", "nullable": True},
                        "capacity": {"type": "integer"},
                        "confirmed": {"type": "integer"},
                        "waitlisted": {"type": "integer"},
                        "applied": {"type": "integer"},
                        "seats_left": {"type": "integer"},
                        "selection": {"type": "string", "enum": ["first_come", "lottery"]},
                        "registration_opens_at": {"type": "string", "format": "date-time"},
                        "registration_closes_at": {"type": "string", "format": "date-time"},
                        "starts_on": {"type": "string", "format": "date"},
                        "ends_on": {"type": "string", "format": "date"},
                        "sessions_count": {"type": "integer"},
                        "hours": {"type": "number"},
                        "min_age": {"type": "integer", "nullable": True},
                        "max_age": {"type": "integer", "nullable": True},
                        "lottery_drawn_at": {
                            "type": "string",
                            "format": "date-time",
                            "nullable": True,
                        },
                    },
                },
                "RunDetail": {
                    "allOf": [
                        {"$ref": "#/components/schemas/Run"},
                        {
                            "type": "object",
                            "properties": {
                                "sessions": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Session"},
                                }
                            },
                        },
                    ]
                },
                "Attendance": ATTENDANCE,
                "CheckIn": {
                    "type": "object",
                    "required": ["result", "attendance"],
                    "properties": {
                        "result": {"type": "string", "enum": ["present", "late", "already"]},
                        "attendance": {"$ref": "#/components/schemas/Attendance"},
                    },
                },
                "Enrollment": {
                    "type": "object",
                    "required": ["id", "status", "waitlist_position"],
                    "properties": {
                        "id": {"type": "integer"},
                        "run_id": {"type": "integer"},
                        "run_title": {"type": "string"},
                        "person_id": {"type": "integer"},
                        "status": {
                            "type": "string",
                            "enum": ["applied", "confirmed", "waitlisted", "cancelled"],
                        },
                        "waitlist_position": {"type": "integer", "nullable": True},
                        "channel": {"type": "string", "enum": ["web", "desk", "api"]},
                        "created_at": {"type": "string", "format": "date-time"},
                        "confirmed_at": {
                            "type": "string",
                            "format": "date-time",
                            "nullable": True,
                        },
                        "cancelled_at": {
                            "type": "string",
                            "format": "date-time",
                            "nullable": True,
                        },
                    },
                },
            },
        },
        "paths": {
            "/auth/signup": {
                "post": {
                    "summary": "Sign up as a resident (consent to data collection required)",
                    "requestBody": {
                        "required": True,
                        **_json(
                            {
                                "type": "object",
                                "required": [
                                    "name",
                                    "phone",
                                    "password",
                                    "birth_year",
                                    "dong",
                                    "consent",
                                ],
                                "properties": {
                                    "name": {"type": "string"},
                                    "phone": {"type": "string", "example": "010-1234-5678"},
                                    "password": {"type": "string", "minLength": 8},
                                    "birth_year": {"type": "integer"},
                                    "dong": {
                                        "type": "string",
                                        "description": "One of the district's 18 dongs, "
                                        "or 구외 for elsewhere",
                                    },
                                    "consent": {"type": "boolean", "enum": [True]},
                                },
                            }
                        ),
                    },
                    "responses": {
                        "201": {
                            "description": "Signed up",
                            **_json({"$ref": "#/components/schemas/Token"}),
                        },
                        **_error_responses(400, 409, 429),
                    },
                }
            },
            "/auth/token": {
                "post": {
                    "summary": "Exchange phone and password for a bearer token",
                    "requestBody": {
                        "required": True,
                        **_json(
                            {
                                "type": "object",
                                "required": ["phone", "password"],
                                "properties": {
                                    "phone": {"type": "string"},
                                    "password": {"type": "string"},
                                },
                            }
                        ),
                    },
                    "responses": {
                        "200": {
                            "description": "A token",
                            **_json({"$ref": "#/components/schemas/Token"}),
                        },
                        **_error_responses(400, 401, 429),
                    },
                }
            },
            "/runs": {
                "get": {
                    "summary": "Course runs, every match unless limit is given",
                    "parameters": [
                        {
                            "name": "open",
                            "in": "query",
                            "description": "1: only runs whose registration is open now",
                            "schema": {"type": "string", "enum": ["0", "1"]},
                        },
                        {
                            "name": "audience",
                            "in": "query",
                            "schema": {"type": "string", "enum": ["resident", "staff"]},
                        },
                        {
                            "name": "month",
                            "in": "query",
                            "description": "Runs with days in this month (YYYY-MM)",
                            "schema": {"type": "string", "pattern": "^\\d{4}-\\d{2}$"},
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 10000},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "Runs ordered by start date",
                            **_json(
                                {"type": "array", "items": {"$ref": "#/components/schemas/Run"}}
                            ),
                        },
                        **_error_responses(400),
                    },
                }
            },
            "/runs/{run_id}": {
                "get": {
                    "summary": "One run with its sessions",
                    "parameters": [run_id],
                    "responses": {
                        "200": {
                            "description": "The run",
                            **_json({"$ref": "#/components/schemas/RunDetail"}),
                        },
                        **_error_responses(404),
                    },
                }
            },
            "/runs/{run_id}/enrollments": {
                "post": {
                    "summary": "Enroll yourself (or, as staff, the person named by person_id)",
                    "security": bearer,
                    "parameters": [run_id],
                    "requestBody": {
                        "required": False,
                        **_json(
                            {
                                "type": "object",
                                "properties": {"person_id": {"type": "integer"}},
                            }
                        ),
                    },
                    "responses": {
                        "201": {
                            "description": "Confirmed, waitlisted or applied (lottery)",
                            **_json({"$ref": "#/components/schemas/Enrollment"}),
                        },
                        **_error_responses(400, 401, 403, 404, 409, 429),
                    },
                }
            },
            "/enrollments/{enrollment_id}": {
                "delete": {
                    "summary": "Cancel an enrollment (your own, or any as staff); the first "
                    "waitlisted person is promoted at once",
                    "security": bearer,
                    "parameters": [
                        {
                            "name": "enrollment_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "The cancelled enrollment",
                            **_json({"$ref": "#/components/schemas/Enrollment"}),
                        },
                        **_error_responses(401, 404, 409),
                    },
                }
            },
            "/me/enrollments": {
                "get": {
                    "summary": "Your enrollments, newest runs first",
                    "security": bearer,
                    "responses": {
                        "200": {
                            "description": "Enrollments",
                            **_json(
                                {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Enrollment"},
                                }
                            ),
                        },
                        **_error_responses(401),
                    },
                }
            },
            "/me": {
                "get": {
                    "summary": "Who the token belongs to",
                    "security": bearer,
                    "responses": {
                        "200": {
                            "description": "The person",
                            **_json(
                                {
                                    "type": "object",
                                    "properties": {
                                        "id": {"type": "integer"},
                                        "name": {"type": "string"},
                                        "role": {"type": "string"},
                                        "birth_year": {"type": "integer"},
                                        "dong": {"type": "string"},
                                    },
                                }
                            ),
                        },
                        **_error_responses(401),
                    },
                }
            },
            "/me/pass": {
                "get": {
                    "summary": "Your QR pass: the signed token its QR code carries",
                    "security": bearer,
                    "responses": {
                        "200": {
                            "description": "The pass",
                            **_json(
                                {
                                    "type": "object",
                                    "required": ["token"],
                                    "properties": {"token": {"type": "string"}},
                                }
                            ),
                        },
                        **_error_responses(401),
                    },
                }
            },
            "/sessions/{session_id}/roster": {
                "get": {
                    "summary": "A session's confirmed trainees and their marks "
                    "(instructors for their own sessions, staff for all)",
                    "security": bearer,
                    "parameters": [session_id],
                    "responses": {
                        "200": {
                            "description": "The roster",
                            **_json(
                                {
                                    "type": "object",
                                    "properties": {
                                        "session": {"type": "object"},
                                        "counts": {
                                            "type": "object",
                                            "additionalProperties": {"type": "integer"},
                                        },
                                        "roster": {
                                            "type": "array",
                                            "items": {
                                                "type": "object",
                                                "properties": {
                                                    "enrollment_id": {"type": "integer"},
                                                    "person_id": {"type": "integer"},
                                                    "name": {"type": "string"},
                                                    "phone_last4": {"type": "string"},
                                                    "attendance": {
                                                        "allOf": [ATTENDANCE],
                                                        "nullable": True,
                                                    },
                                                },
                                            },
                                        },
                                    },
                                }
                            ),
                        },
                        **_error_responses(401, 403, 404),
                    },
                }
            },
            "/sessions/{session_id}/checkins": {
                "post": {
                    "summary": "Check in the holder of a scanned QR pass "
                    "(instructors for their own sessions, staff for all)",
                    "description": "201 for a new check-in, 200 when the person was already "
                    "checked in (result already, with the first time). scanned_at, when "
                    "given, is when a scan kept offline was made; it decides lateness and "
                    "must lie in the check-in window. Error codes: invalid_pass, "
                    "revoked_pass, not_enrolled, outside_window.",
                    "security": bearer,
                    "parameters": [session_id],
                    "requestBody": {
                        "required": True,
                        **_json(
                            {
                                "type": "object",
                                "required": ["token"],
                                "properties": {
                                    "token": {"type": "string"},
                                    "scanned_at": {"type": "string", "format": "date-time"},
                                },
                            }
                        ),
                    },
                    "responses": {
                        "201": {
                            "description": "Checked in",
                            **_json({"$ref": "#/components/schemas/CheckIn"}),
                        },
                        "200": {
                            "description": "Already checked in",
                            **_json({"$ref": "#/components/schemas/CheckIn"}),
                        },
                        **_error_responses(400, 401, 403, 404, 409),
                    },
                }
            },
            "/certificates/{serial}": {
                "get": {
                    "summary": "Verify a completion certificate (public; a masked name only)",
                    "parameters": [
                        {
                            "name": "serial",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "example": "YDP-2022-00001"},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "The certificate",
                            **_json(
                                {
                                    "type": "object",
                                    "required": ["serial", "status"],
                                    "properties": {
                                        "serial": {"type": "string"},
                                        "status": {"type": "string", "enum": ["valid", "revoked"]},
                                        "name": {"type": "string", "example": "홍*동"},
                                        "course": {"type": "string"},
                                        "period": {
                                            "type": "object",
                                            "properties": {
                                                "start": {"type": "string", "format": "date"},
                                                "end": {"type": "string", "format": "date"},
                                            },
                                        },
                                        "hours": {"type": "number"},
                                        "issued_on": {"type": "string", "format": "date"},
                                    },
                                }
                            ),
                        },
                        **_error_responses(404),
                    },
                }
            },
            "/stats": {
                "get": {
                    "summary": "Figures for a period (staff only); definitions on the "
                    "statistics page. A run counts once, in the month its last session falls.",
                    "security": bearer,
                    "parameters": [
                        {
                            "name": "from",
                            "in": "query",
                            "required": True,
                            "schema": {"type": "string", "pattern": "^\\d{4}-\\d{2}$"},
                        },
                        {
                            "name": "to",
                            "in": "query",
                            "required": True,
                            "schema": {"type": "string", "pattern": "^\\d{4}-\\d{2}$"},
                        },
                        {
                            "name": "audience",
                            "in": "query",
                            "schema": {
                                "type": "string",
                                "enum": ["resident", "staff", "all"],
                                "default": "all",
                            },
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "The figures",
                            **_json(
                                {
                                    "type": "object",
                                    "properties": {
                                        "from": {"type": "string"},
                                        "to": {"type": "string"},
                                        "audience": {"type": "string"},
                                        "runs_held": {"type": "integer"},
                                        "trainees": {"type": "integer"},
                                        "person_sessions": {"type": "integer"},
                                        "hours": {"type": "number"},
                                        "courses": {"type": "integer"},
                                        "attendance_rate": {"type": "number"},
                                        "completion_rate": {"type": "number"},
                                        "report_lines": {
                                            "type": "array",
                                            "items": {"type": "string"},
                                        },
                                    },
                                }
                            ),
                        },
                        **_error_responses(400, 401, 403),
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "responses": {"200": {"description": "OpenAPI 3 document"}},
                }
            },
        },
    }
