"""``GET /openapi.json``: the JSON API described in OpenAPI 3.1, written by hand.

Plain dicts, one entry per route: what it takes and every answer it gives,
errors included (the contract's ``{"error", "message"}`` form). A test walks
the app's route table against ``SPEC["paths"]`` both ways, and schemathesis
checks a live server's answers against it. HTML pages, media files and the
static files are not part of it.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from wall import school_invites
from wall.auth import COOKIE_NAME, CSRF_HEADER, ROLES
from wall.moderation.queue import MAX_QUERY
from wall.moderation.reasons import REJECTION_REASONS
from wall.moderation.states import Action, Status
from wall.photos import MAX_PAGE
from wall.uploads import AGE_CHOICES, MAX_CAPTION, MAX_CLASS_PHOTOS, MAX_NAME, MAX_SCHOOL
from wall.wall_filter import MAX_SCHOOL as MAX_FILTER_SCHOOL
from wall.web.moderation import MAX_BULK, MAX_EXCLUDE

Schema = dict[str, Any]

STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
BOOLEAN: Schema = {"type": "boolean"}
NUMBER: Schema = {"type": "number"}
TIME: Schema = {"type": "string", "format": "date-time"}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: dict[str, Schema], optional: dict[str, Schema] | None = None) -> Schema:
    """An object with these properties; more may be added later (clients ignore them)."""
    return {
        "type": "object",
        "required": list(required),
        "properties": {**required, **(optional or {})},
    }


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


IMAGE = obj(
    {
        "url": STRING,
        "thumb_url": STRING,
        "width": INTEGER,
        "height": INTEGER,
        "placeholder": nullable(STRING),
        "blurhash": nullable(STRING),
    },
    {"webp_url": STRING, "thumb_webp_url": STRING},
)
PHOTO = obj(
    {
        "id": STRING,
        "source": STRING,
        "author": obj(
            {"name": nullable(STRING), "handle": nullable(STRING), "url": nullable(STRING)}
        ),
        "caption": STRING,
        "alt": nullable(STRING),
        "permalink": nullable(STRING),
        "posted_at": nullable(TIME),
        "approved_at": nullable(TIME),
        "pinned": BOOLEAN,
        "region": nullable(STRING),
        "number": STRING,
        "image": ref("Image"),
    }
)
STATUS: Schema = {"type": "string", "enum": [status.value for status in Status]}
REASON_CODE: Schema = {"type": "string", "enum": list(REJECTION_REASONS)}
MOD_PHOTO: Schema = {
    "allOf": [
        ref("Photo"),
        obj(
            {
                "status": STATUS,
                "submitted_at": nullable(TIME),
                "decided_at": nullable(TIME),
                "green_score": nullable(NUMBER),
                "flags": array(STRING),
                "media_url": STRING,
                "show_name": BOOLEAN,
                "school": nullable(STRING),
                "age_confirmation": nullable(STRING),
                "consent_by": nullable(STRING),
                "consent_uses": array(STRING),
                "claimed_by": nullable(STRING),
                "claim_expires_at": nullable(TIME),
                "flag_labels": array(obj({"code": STRING, "label": STRING, "explanation": STRING})),
                "faces_blurred": BOOLEAN,
                "public_url": nullable(STRING),
                "last_decision": nullable(
                    obj(
                        {
                            "action": STRING,
                            "by": nullable(STRING),
                            "at": nullable(TIME),
                            "reason_code": nullable(REASON_CODE),
                            "reason_label": nullable(STRING),
                            "reason": nullable(STRING),
                        }
                    )
                ),
            }
        ),
    ]
}
ERROR = obj({"error": STRING, "message": STRING}, {"message_en": STRING})
RULES = obj(
    {
        "allow_accounts": array(STRING),
        "block_accounts": array(STRING),
        "blocked_words": array(STRING),
        "words_action": {"type": "string", "enum": ["flag", "reject"]},
        "green_threshold": {"type": "number", "minimum": 0, "maximum": 1},
        "allowlist_only_sources": array(STRING),
    }
)
MODERATOR = obj(
    {
        "id": INTEGER,
        "email": STRING,
        "role": {"type": "string", "enum": list(ROLES)},
        "disabled": BOOLEAN,
        "totp_enabled": BOOLEAN,
        "created_at": nullable(TIME),
        "active_sessions": INTEGER,
    }
)
REMOVAL_REQUEST = obj(
    {
        "id": INTEGER,
        "photo_ref": STRING,
        "description": STRING,
        "photo_id": nullable(STRING),
        "photo_number": nullable(STRING),
        "photo_status": nullable(STATUS),
        "reason": nullable(STRING),
        "contact": nullable(STRING),
        "created_at": nullable(TIME),
        "resolved_at": nullable(TIME),
        "resolved_by": nullable(STRING),
        "resolution": nullable(STRING),
        "note": nullable(STRING),
    }
)
CREDENTIAL_FIELDS = ("token", "api_key", "identifier", "app_password", "user_id")
MANAGED_SOURCE_FIELDS: dict[str, Schema] = {
    "name": STRING,
    "type": STRING,
    "base_url": STRING,
    "interval": NUMBER,
    "hashtags": array(STRING),
    "recheck_per_minute": nullable(NUMBER),
    "stream_url": nullable(STRING),
    "paused": BOOLEAN,
    "origin": {"type": "string", "enum": ["file", "admin"]},
    "edited": BOOLEAN,
    "credentials_set": array({"type": "string", "enum": list(CREDENTIAL_FIELDS)}),
    "credentials_unreadable": BOOLEAN,
}
MANAGED_SOURCE = obj(MANAGED_SOURCE_FIELDS)
SOURCE = obj(
    {
        **MANAGED_SOURCE_FIELDS,
        "health": {
            "type": "string",
            "enum": ["new", "ok", "stalled", "restricted", "retrying", "failing", "paused"],
        },
        "last_success_at": nullable(TIME),
        "last_error": nullable(STRING),
        "last_error_at": nullable(TIME),
        "next_poll_at": nullable(TIME),
        "consecutive_failures": INTEGER,
        "fetched_total": INTEGER,
        "stored_total": INTEGER,
        "skipped_total": INTEGER,
        "last_head_read_at": nullable(TIME),
        "newest_post_at": nullable(TIME),
        "recheck_worst_age_seconds": nullable(NUMBER),
    }
)
SOURCE_SETTINGS: dict[str, Schema] = {
    "type": STRING,
    "base_url": STRING,
    "interval": {"type": "number", "minimum": 1},
    "hashtags": {"type": "array", "items": STRING, "minItems": 1},
    "recheck_per_minute": nullable({"type": "number", "minimum": 0}),
    "stream_url": nullable(STRING),
    "paused": BOOLEAN,
    "credentials": {
        "type": "object",
        "additionalProperties": False,
        "properties": {field: nullable(STRING) for field in CREDENTIAL_FIELDS},
    },
}
AUDIT_ENTRY = obj(
    {
        "id": INTEGER,
        "created_at": nullable(TIME),
        "actor": nullable(STRING),
        "actor_id": nullable(INTEGER),
        "action": STRING,
        "photo_id": nullable(STRING),
        "target": nullable(STRING),
        "client": nullable(STRING),
        "details": nullable({"type": "object"}),
    }
)

# Every error status the API uses, and when.
ERROR_STATUSES = {
    400: "Malformed request (bad JSON, cursor, limit or parameter)",
    401: "Not signed in, or bad credentials",
    403: "Missing or invalid CSRF token, wrong role, or uploads closed",
    404: "Unknown photo, request or moderator",
    409: "A transition the current state forbids, or a claim held by another moderator",
    413: "Body too large",
    415: "Not an accepted image",
    422: "A missing or invalid field, or text with a NUL or a lone surrogate anywhere",
    429: "Too many requests (with Retry-After)",
    500: "Unexpected failure, in the JSON error form",
    503: "Database unavailable, or too busy (with Retry-After)",
    507: "Storage full",
}
# Any route may meet these: a malformed request, text the database refuses
# anywhere in the request (the edge checks: 422 invalid_text), a bug, a
# database that went away.
ALWAYS = (400, 422, 500, 503)


def json_body(schema: Schema, description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def replies(ok: dict[int, dict[str, Any]], *errors: int) -> dict[str, Any]:
    result: dict[str, Any] = {str(status): body for status, body in ok.items()}
    for status in sorted({*errors, *ALWAYS}):
        result[str(status)] = {"$ref": f"#/components/responses/E{status}"}
    return result


def query(name: str, schema: Schema, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def path_param(name: str, schema: Schema = STRING) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


LIMIT = query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "page size")
BEFORE = query("before", STRING, "the `next` cursor of the previous page")
WALL_FILTER = [
    query("region", STRING, "only this region's photos (one of WALL_REGIONS; 400 bad_region)"),
    query(
        "school",
        {"type": "string", "maxLength": MAX_FILTER_SCHOOL},
        "only this school's photos",
    ),
    query(
        "source",
        {"type": "string", "pattern": "^[a-z][a-z0-9_-]{0,31}$"},
        "only photos from this source (upload, mastodon…)",
    ),
]
MODERATOR_ONLY: list[dict[str, list[str]]] = [{"session": []}]
WRITE_AS_MODERATOR: list[dict[str, list[str]]] = [{"session": [], "csrf": []}]
SIGNED = (401, 403)


def request_json(schema: Schema) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def operation(
    summary: str,
    responses: dict[str, Any],
    *,
    parameters: list[dict[str, Any]] | None = None,
    body: dict[str, Any] | None = None,
    security: list[dict[str, list[str]]] | None = None,
) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": responses}
    if parameters:
        op["parameters"] = parameters
    if body is not None:
        op["requestBody"] = body
    if security is not None:
        op["security"] = security
    return op


def event_stream(summary: str, security: list[dict[str, list[str]]] | None = None) -> Schema:
    after = query("after", {"type": "integer", "minimum": 0}, "same as Last-Event-ID")
    last = {"name": "Last-Event-ID", "in": "header", "required": False, "schema": STRING}
    ok = {
        200: {
            "description": "Server-Sent Events, endless",
            "content": {"text/event-stream": {"schema": STRING}},
        }
    }
    return operation(
        summary,
        replies(ok, *(SIGNED if security else ())),
        parameters=[after, last],
        security=security,
    )


UPLOAD_FORM = {
    "type": "object",
    "required": ["photo", "consent", "everyone_agrees", "age_confirmation"],
    "properties": {
        "photo": {"type": "string", "contentMediaType": "application/octet-stream"},
        "consent": {"type": "string", "enum": ["yes"]},
        "everyone_agrees": {
            "type": "string",
            "enum": ["yes"],
            "description": "everyone who can be seen in the photo agrees",
        },
        "age_confirmation": {
            "type": "string",
            "enum": list(AGE_CHOICES),
            "description": "under_14_without_parent is refused (422 parent_consent_needed)",
        },
        "share_school_wall": {"type": "string", "enum": ["yes"]},
        "share_embed": {"type": "string", "enum": ["yes"]},
        "share_archive": {"type": "string", "enum": ["yes"]},
        "display_name": {"type": "string", "maxLength": MAX_NAME},
        "show_name": {"type": "string", "enum": ["yes"]},
        "caption": {"type": "string", "maxLength": MAX_CAPTION},
        "region": STRING,
        "school": {"type": "string", "maxLength": MAX_SCHOOL},
        "upload_key": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$"},
        "website": {"type": "string", "description": "honeypot: leave empty"},
    },
}
UPLOADED = obj(
    {
        "id": STRING,
        "status": STATUS,
        "manage_url": STRING,
        # Both private to the manage link's holder, like the link itself.
        "manage_qr_url": STRING,
        "share_card_url": STRING,
    }
)
HTML = {"text/html": {"schema": STRING}}


CLASS_FORM = {
    "type": "object",
    "required": ["photos", "school_consent"],
    "properties": {
        "photos": {
            "type": "array",
            "items": {"type": "string", "contentMediaType": "application/octet-stream"},
            "minItems": 1,
            "maxItems": MAX_CLASS_PHOTOS,
        },
        "school_consent": {"type": "string", "enum": ["yes"]},
        "caption": {"type": "string", "maxLength": MAX_CAPTION},
        "upload_key": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$"},
        "website": {"type": "string", "description": "honeypot: leave empty"},
    },
}
REFUSED_FILE = obj(
    {"file": STRING, "error": STRING, "message": STRING}, {"message_en": STRING, "shown": STRING}
)
CLASS_BATCH = obj(
    {
        "school": STRING,
        "region": nullable(STRING),
        "photos": array(
            obj(
                {
                    "file": STRING,
                    "id": STRING,
                    "status": STATUS,
                    "replayed": BOOLEAN,
                    "manage_url": STRING,
                }
            )
        ),
        "refused": array(REFUSED_FILE),
    }
)
SCHOOL_INVITE = obj(
    {
        "id": INTEGER,
        "school": STRING,
        "region": nullable(STRING),
        "upload_limit": INTEGER,
        "uploads": INTEGER,
        "created_by": STRING,
        "created_at": TIME,
        "expires_at": TIME,
        "revoked_at": nullable(TIME),
        "state": {"type": "string", "enum": ["active", "expired", "revoked"]},
    },
    {"link": STRING},
)


def _upload_replies(ok: dict[int, dict[str, Any]] | None = None, *errors: int) -> dict[str, Any]:
    result = replies(
        ok
        or {
            201: json_body(UPLOADED, "Stored, pending moderation"),
            200: json_body(UPLOADED, "A retry with the same upload_key: the photo already stored"),
        },
        403,
        413,
        415,
        422,
        429,
        507,
        *errors,
    )
    # Without Accept: application/json the same statuses carry the French page.
    for status, answer in list(result.items()):
        if "$ref" in answer:
            status_code = int(status)
            answer = {
                "description": ERROR_STATUSES[status_code],
                "content": {"application/json": {"schema": ref("Error")}, **HTML},
            }
        else:
            answer = {**answer, "content": {**answer["content"], **HTML}}
        result[status] = answer
    return result


CREDENTIALS = obj({"email": STRING, "password": STRING}, {"totp": STRING})
DECISION = obj(
    {"action": {"type": "string", "enum": [a.value for a in Action if a is not Action.WITHDRAW]}},
    {"reason": nullable(STRING), "reason_code": nullable(REASON_CODE), "take_next": BOOLEAN},
)
BULK = obj(
    {
        "action": {"type": "string", "enum": ["approve", "reject"]},
        "ids": {"type": "array", "items": STRING, "minItems": 1, "maxItems": MAX_BULK},
    },
    {"reason": nullable(STRING), "reason_code": nullable(REASON_CODE)},
)
FILTERS = [
    query("q", {"type": "string", "maxLength": MAX_QUERY}, "text search"),
    query("source", STRING, "only this source"),
    query("region", STRING, "only this region"),
    query("flag", {"type": "string", "pattern": "^[a-z_]{1,32}$"}, "only this flag"),
]
BULK_RESULT = obj(
    {
        "results": array(
            obj(
                {"id": STRING, "ok": BOOLEAN},
                {"status": STATUS, "http_status": INTEGER, "error": STRING, "message": STRING},
            )
        ),
        "decided": INTEGER,
    }
)
PHOTO_ID = path_param("photo_id")
MODERATOR_ID = path_param("moderator_id", INTEGER)
SIGNED_OUT = obj({"status": STRING}, {"sessions_ended": INTEGER})

PATHS: dict[str, dict[str, Any]] = {
    "/healthz": {
        "get": operation(
            "The database answers",
            {
                "200": json_body(obj({"status": STRING})),
                "503": json_body(
                    obj({"status": STRING, "error": STRING, "message": STRING}),
                    "The database does not answer",
                ),
                "422": {"$ref": "#/components/responses/E422"},
                "500": {"$ref": "#/components/responses/E500"},
            },
        )
    },
    "/readyz": {
        "get": operation(
            "Ready for traffic: the database answers and its schema is at the migrations' head",
            {
                "200": json_body(obj({"status": STRING, "revision": array(STRING)})),
                "503": json_body(
                    ref("Error"),
                    "database_unavailable, or migrations_not_at_head (with revision and head)",
                ),
                "422": {"$ref": "#/components/responses/E422"},
                "500": {"$ref": "#/components/responses/E500"},
            },
        )
    },
    "/openapi.json": {
        "get": operation("This description", replies({200: json_body({"type": "object"})}))
    },
    "/upload": {
        "post": operation(
            "Send a photo (multipart form); JSON answers with Accept: application/json",
            _upload_replies(),
            body={
                "required": True,
                "content": {"multipart/form-data": {"schema": UPLOAD_FORM}},
            },
        )
    },
    "/classe/{token}": {
        "post": operation(
            "Send a class's photos through a school invite (multipart form); JSON answers "
            "with Accept: application/json. 403 for a revoked or expired invite, 404 for an "
            "unknown one; 422 photos_refused (with `refused`) when no file was accepted",
            _upload_replies(
                {
                    201: json_body(CLASS_BATCH, "Stored, pending moderation; refused files listed"),
                    200: json_body(CLASS_BATCH, "A resent form: every photo already stored"),
                },
                404,
                409,
            ),
            parameters=[path_param("token")],
            body={"required": True, "content": {"multipart/form-data": {"schema": CLASS_FORM}}},
        )
    },
    "/api/wall/photos": {
        "get": operation(
            "Approved photos, newest approval first (ETag, 304)",
            {
                **replies(
                    {
                        200: json_body(
                            obj(
                                {
                                    "photos": array(ref("Photo")),
                                    "next": nullable(STRING),
                                    "count": INTEGER,
                                },
                                {"last_event_id": INTEGER},
                            )
                        )
                    }
                ),
                "304": {"description": "Not modified (If-None-Match)"},
            },
            parameters=[
                LIMIT,
                BEFORE,
                *WALL_FILTER,
                query("pinned", {"type": "string", "enum": ["1"]}, "only the pinned photos"),
            ],
        )
    },
    "/api/wall/events": {"get": event_stream("The wall's live events")},
    "/api/wall/stats": {
        "get": operation(
            "Counts of approved photos",
            {
                **replies(
                    {
                        200: json_body(
                            obj(
                                {
                                    "approved": INTEGER,
                                    "by_source": {
                                        "type": "object",
                                        "additionalProperties": INTEGER,
                                    },
                                    "by_region": {
                                        "type": "object",
                                        "additionalProperties": INTEGER,
                                    },
                                    "timeline": array(obj({"t": TIME, "n": INTEGER})),
                                },
                                {"quarter_hours": array(obj({"t": TIME, "n": INTEGER}))},
                            )
                        )
                    }
                ),
                "304": {"description": "Not modified (If-None-Match)"},
            },
            parameters=WALL_FILTER,
        )
    },
    "/api/auth/login": {
        "post": operation(
            "Sign in; sets the session cookie",
            replies(
                {
                    200: json_body(
                        obj(
                            {"csrf_token": STRING, "role": STRING},
                            {"totp_enrolment_required": BOOLEAN},
                        )
                    )
                },
                401,
                422,
                429,
            ),
            body=request_json(CREDENTIALS),
        )
    },
    "/api/auth/logout": {
        "post": operation(
            "End this session",
            replies({200: json_body(SIGNED_OUT)}, *SIGNED),
            security=WRITE_AS_MODERATOR,
        )
    },
    "/api/auth/logout-all": {
        "post": operation(
            "End every session of the signed-in moderator",
            replies({200: json_body(SIGNED_OUT)}, *SIGNED),
            security=WRITE_AS_MODERATOR,
        )
    },
    "/api/auth/totp": {
        "post": operation(
            "Start TOTP enrolment: a new secret, not yet active",
            replies({200: json_body(obj({"secret": STRING, "otpauth_uri": STRING}))}, *SIGNED, 422),
            security=WRITE_AS_MODERATOR,
        )
    },
    "/api/auth/totp/confirm": {
        "post": operation(
            "Activate TOTP with a first valid code",
            replies({200: json_body(obj({"totp_enabled": BOOLEAN}))}, *SIGNED, 422),
            body=request_json(obj({"code": STRING})),
            security=WRITE_AS_MODERATOR,
        )
    },
    "/api/moderation/photos": {
        "get": operation(
            "The queue, or photos in another status",
            replies(
                {
                    200: json_body(
                        obj(
                            {
                                "photos": array(ref("ModPhoto")),
                                "next": nullable(STRING),
                                "count": INTEGER,
                                "intake_paused_since": nullable(TIME),
                            }
                        )
                    )
                },
                *SIGNED,
            ),
            parameters=[
                query("status", STATUS, "default: pending (oldest first)"),
                LIMIT,
                BEFORE,
                *FILTERS,
            ],
            security=MODERATOR_ONLY,
        )
    },
    "/api/moderation/photos/bulk": {
        "post": operation(
            "Approve or reject a selection, each photo on its own",
            replies({200: json_body(BULK_RESULT)}, *SIGNED, 422),
            body=request_json(BULK),
            security=WRITE_AS_MODERATOR,
        )
    },
    "/api/moderation/photos/{photo_id}/decision": {
        "post": operation(
            "Decide on a photo (take_next: and claim the next free one, in next_photo)",
            replies(
                {
                    200: json_body(
                        {
                            "allOf": [
                                ref("ModPhoto"),
                                obj({}, {"next_photo": nullable(ref("ModPhoto"))}),
                            ]
                        }
                    )
                },
                *SIGNED,
                400,
                404,
                409,
                422,
            ),
            parameters=[PHOTO_ID, *FILTERS],
            body=request_json(DECISION),
            security=WRITE_AS_MODERATOR,
        )
    },
    "/api/moderation/photos/{photo_id}/claim": {
        "post": operation(
            "Claim a photo for a while (or renew one's claim)",
            replies(
                {
                    200: json_body(
                        obj({"id": STRING, "claimed_by": STRING, "expires_at": nullable(TIME)})
                    )
                },
                *SIGNED,
                404,
                409,
            ),
            parameters=[PHOTO_ID],
            security=WRITE_AS_MODERATOR,
        )
    },
    "/api/moderation/claims/release": {
        "post": operation(
            "Release the signed-in moderator's claims (photo_id: only that one). A closing "
            "tab's navigator.sendBeacon may send a form body with csrf_token and photo_id "
            "instead of the X-CSRF-Token header",
            replies(
                {200: json_body(obj({"released": BOOLEAN, "claims_released": INTEGER}))},
                *SIGNED,
            ),
            parameters=[query("photo_id", STRING, "release only the claim on this photo")],
            security=WRITE_AS_MODERATOR,
        )
    },
    "/api/moderation/next": {
        "post": operation(
            "Claim and return the oldest pending photo nobody else holds (null when none)",
            replies({200: json_body(obj({"photo": nullable(ref("ModPhoto"))}))}, *SIGNED, 400, 422),
            parameters=FILTERS,
            body=request_json(
                obj(
                    {},
                    {
                        "exclude": {
                            "type": "array",
                            "items": {"type": "string", "maxLength": 64},
                            "maxItems": MAX_EXCLUDE,
                        }
                    },
                )
            ),
            security=WRITE_AS_MODERATOR,
        )
    },
    "/api/moderation/undo": {
        "post": operation(
            "Take back one's own last decision",
            replies({200: json_body(ref("ModPhoto"))}, *SIGNED, 404, 409),
            security=WRITE_AS_MODERATOR,
        )
    },
    "/api/moderation/events": {"get": event_stream("The moderators' live events", MODERATOR_ONLY)},
    "/api/moderation/stats": {
        "get": operation(
            "Queue length and pace",
            replies(
                {
                    200: json_body(
                        obj(
                            {
                                "pending": INTEGER,
                                "pending_total": INTEGER,
                                "oldest_pending_at": nullable(TIME),
                                "oldest_pending_seconds": nullable(INTEGER),
                                "decisions_per_minute": array(
                                    obj(
                                        {
                                            "moderator": STRING,
                                            "decisions": INTEGER,
                                            "per_minute": NUMBER,
                                        }
                                    )
                                ),
                                "window_minutes": INTEGER,
                                "intake_paused_since": nullable(TIME),
                                "waiting_behind_pause": INTEGER,
                                "removal_requests_open": INTEGER,
                                "online": array(
                                    obj({"moderator": STRING, "holding": nullable(STRING)})
                                ),
                            }
                        )
                    )
                },
                *SIGNED,
            ),
            security=MODERATOR_ONLY,
        )
    },
    "/api/moderation/intake": {
        "post": operation(
            "Pause or resume intake (admins)",
            replies(
                {200: json_body(obj({"paused": BOOLEAN, "paused_since": nullable(TIME)}))},
                *SIGNED,
                422,
            ),
            body=request_json(obj({"paused": BOOLEAN})),
            security=WRITE_AS_MODERATOR,
        )
    },
    "/api/moderation/sources": {
        "get": operation(
            "Every source, paused ones included, with its health; never a credential",
            replies({200: json_body(array(ref("Source")))}, *SIGNED),
            security=MODERATOR_ONLY,
        ),
        "post": operation(
            "Add a source; every process polls it within WALL_SOURCES_REFRESH_SECONDS (admins)",
            replies({201: json_body(ref("ManagedSource"), "Created")}, *SIGNED, 409, 422),
            body=request_json(
                {
                    "type": "object",
                    "required": ["name", "type"],
                    "additionalProperties": False,
                    "properties": {"name": STRING, **SOURCE_SETTINGS},
                }
            ),
            security=WRITE_AS_MODERATOR,
        ),
    },
    "/api/moderation/sources/{name}": {
        "patch": operation(
            "Change a source's settings, credentials or pause (admins)",
            replies({200: json_body(ref("ManagedSource"))}, *SIGNED, 404, 422),
            parameters=[path_param("name")],
            body=request_json(
                {"type": "object", "additionalProperties": False, "properties": SOURCE_SETTINGS}
            ),
            security=WRITE_AS_MODERATOR,
        ),
        "delete": operation(
            "Remove a source: polling stops, its photos stay (admins)",
            replies({204: {"description": "Removed"}}, *SIGNED, 404),
            parameters=[path_param("name")],
            security=WRITE_AS_MODERATOR,
        ),
    },
    "/api/moderation/moderators": {
        "get": operation(
            "Moderators and their sessions (admins)",
            replies({200: json_body(obj({"moderators": array(ref("Moderator"))}))}, *SIGNED),
            security=MODERATOR_ONLY,
        ),
        "post": operation(
            "Add a moderator (admins)",
            replies({201: json_body(ref("Moderator"), "Created")}, *SIGNED, 409, 422),
            body=request_json(
                obj(
                    {"email": STRING, "password": STRING},
                    {"role": {"type": "string", "enum": list(ROLES)}},
                )
            ),
            security=WRITE_AS_MODERATOR,
        ),
    },
    "/api/moderation/moderators/{moderator_id}": {
        "patch": operation(
            "Change a moderator's role, or disable them (admins)",
            replies({200: json_body(ref("Moderator"))}, *SIGNED, 404, 409, 422),
            parameters=[MODERATOR_ID],
            body=request_json(
                {
                    "type": "object",
                    "minProperties": 1,
                    "properties": {
                        "role": {"type": "string", "enum": list(ROLES)},
                        "disabled": BOOLEAN,
                    },
                }
            ),
            security=WRITE_AS_MODERATOR,
        )
    },
    "/api/moderation/moderators/{moderator_id}/logout": {
        "post": operation(
            "End every session of a moderator (admins)",
            replies({200: json_body(obj({"sessions_ended": INTEGER}))}, *SIGNED, 404),
            parameters=[MODERATOR_ID],
            security=WRITE_AS_MODERATOR,
        )
    },
    "/api/moderation/schools": {
        "get": operation(
            "School invites, newest first, with the photos sent through each (admins)",
            replies({200: json_body(obj({"invites": array(ref("SchoolInvite"))}))}, *SIGNED),
            security=MODERATOR_ONLY,
        ),
        "post": operation(
            "Create a school invite; its `link` is in this answer only (admins)",
            replies({201: json_body(ref("SchoolInvite"), "Created")}, *SIGNED, 422),
            body=request_json(
                obj(
                    {"school": {"type": "string", "minLength": 1, "maxLength": MAX_SCHOOL}},
                    {
                        "region": nullable(STRING),
                        "days": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": school_invites.MAX_DAYS,
                        },
                        "upload_limit": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": school_invites.MAX_UPLOAD_LIMIT,
                        },
                    },
                )
            ),
            security=WRITE_AS_MODERATOR,
        ),
    },
    "/api/moderation/schools/{invite_id}/revoke": {
        "post": operation(
            "Revoke a school invite at once (admins); its photos stay in moderation",
            replies({200: json_body(ref("SchoolInvite"))}, *SIGNED, 404, 409),
            parameters=[path_param("invite_id", INTEGER)],
            security=WRITE_AS_MODERATOR,
        )
    },
    "/api/moderation/rules": {
        "get": operation(
            "The automatic rules (admins)",
            replies({200: json_body(ref("Rules"))}, *SIGNED),
            security=MODERATOR_ONLY,
        ),
        "put": operation(
            "Replace some or all rule settings (admins)",
            replies({200: json_body(ref("Rules"))}, *SIGNED, 422),
            body=request_json({**ref("Rules"), "required": []}),
            security=WRITE_AS_MODERATOR,
        ),
    },
    "/api/moderation/audit": {
        "get": operation(
            "The audit log, newest first (admins)",
            replies(
                {
                    200: json_body(
                        obj({"entries": array(ref("AuditEntry")), "next": nullable(INTEGER)})
                    )
                },
                *SIGNED,
            ),
            parameters=[
                LIMIT,
                query("before", {"type": "integer", "minimum": 1}, "the `next` of the last page"),
                query("action", STRING, "only this action"),
                query("actor", STRING, "only this actor"),
            ],
            security=MODERATOR_ONLY,
        )
    },
    "/api/moderation/export.zip": {
        "get": operation(
            "The campaign's archive (admins): photos.csv (credits, consent records) and "
            "media/, approved photos only",
            replies(
                {
                    200: {
                        "description": "ZIP file",
                        "content": {"application/zip": {"schema": {"type": "string"}}},
                    }
                },
                *SIGNED,
            ),
        )
    },
    "/api/moderation/audit.csv": {
        "get": operation(
            "The whole audit log as CSV (admins)",
            replies(
                {
                    200: {
                        "description": "CSV, UTF-8",
                        "content": {"text/csv": {"schema": STRING}},
                    }
                },
                *SIGNED,
            ),
            parameters=[
                query("action", STRING, "only this action"),
                query("actor", STRING, "only this actor"),
            ],
            security=MODERATOR_ONLY,
        )
    },
    "/api/moderation/removal-requests": {
        "get": operation(
            "Removal requests: open ones oldest first, or resolved ones",
            replies(
                {200: json_body(obj({"requests": array(ref("RemovalRequest"))}))}, *SIGNED, 422
            ),
            parameters=[
                query("status", {"type": "string", "enum": ["open", "resolved"]}, "default: open"),
                LIMIT,
            ],
            security=MODERATOR_ONLY,
        )
    },
    "/api/moderation/removal-requests/{request_id}/resolve": {
        "post": operation(
            "Resolve a removal request (removed takes the photo down)",
            replies({200: json_body(ref("RemovalRequest"))}, *SIGNED, 404, 409, 422),
            parameters=[path_param("request_id", INTEGER)],
            body=request_json(
                obj(
                    {"resolution": {"type": "string", "enum": ["removed", "dismissed"]}},
                    {"note": nullable({"type": "string", "maxLength": 500})},
                )
            ),
            security=WRITE_AS_MODERATOR,
        )
    },
}

SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Vague verte",
        "version": "1",
        "description": "The live photo wall's JSON API. Every error answers "
        '`{"error": "<stable code>", "message": "<French sentence>"}` '
        "(uploads add `message_en`).",
    },
    "paths": PATHS,
    "components": {
        "schemas": {
            "Error": ERROR,
            "Image": IMAGE,
            "Photo": PHOTO,
            "ModPhoto": MOD_PHOTO,
            "Rules": RULES,
            "Moderator": MODERATOR,
            "RemovalRequest": REMOVAL_REQUEST,
            "Source": SOURCE,
            "ManagedSource": MANAGED_SOURCE,
            "AuditEntry": AUDIT_ENTRY,
            "SchoolInvite": SCHOOL_INVITE,
        },
        "responses": {
            f"E{status}": json_body(ref("Error"), description)
            for status, description in ERROR_STATUSES.items()
        },
        "securitySchemes": {
            "session": {"type": "apiKey", "in": "cookie", "name": COOKIE_NAME},
            "csrf": {"type": "apiKey", "in": "header", "name": CSRF_HEADER},
        },
    },
}


async def openapi_json(request: Request) -> Response:
    return JSONResponse(SPEC)


routes = [Route("/openapi.json", openapi_json, name="openapi")]
