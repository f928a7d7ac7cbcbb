"""``/openapi.json`` describes every JSON route the app has, and nothing else."""

from __future__ import annotations

import httpx
from starlette.routing import Mount, Route

from wall.app import create_app
from wall.config import Settings
from wall.web.openapi import SPEC

# Routes that answer HTML pages, files or Prometheus text, not JSON: outside the description.
PAGES = {
    ("GET", "/metrics"),
    ("GET", "/"),
    ("GET", "/embed"),
    ("GET", "/upload"),
    ("GET", "/classe/{token}"),
    ("GET", "/manage/{token}"),
    ("POST", "/manage/{token}"),
    ("GET", "/manage/{token}/withdraw"),
    ("GET", "/manage/{token}/photo.jpg"),
    ("GET", "/manage/{token}/share.jpg"),
    ("GET", "/manage/{token}/qr.svg"),
    ("GET", "/media/{name}"),
    ("GET", "/invite/upload.svg"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/moderation"),
    ("GET", "/moderation/admin"),
    ("GET", "/moderation/sources"),
    ("GET", "/removal-request"),
    ("POST", "/removal-request"),
    ("GET", "/confidentialite"),
    ("GET", "/privacy"),
}
MOUNTS = {"/static"}


def app_routes() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for route in create_app(Settings()).routes:
        if isinstance(route, Mount):
            assert route.path in MOUNTS, f"an undescribed mount: {route.path}"
            continue
        assert isinstance(route, Route), route
        found |= {(method, route.path) for method in route.methods or () if method != "HEAD"}
    return found


def described() -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in SPEC["paths"].items() for method in item}


def test_every_json_route_is_described_and_every_description_is_a_route() -> None:
    routes = app_routes()
    assert routes - PAGES - described() == set(), "routes missing from wall/web/openapi.py"
    assert described() - routes == set(), "described routes the app does not have"
    assert described() & PAGES == set()


def test_every_operation_documents_its_errors_in_the_json_form() -> None:
    error = {"$ref": "#/components/schemas/Error"}
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            statuses = operation["responses"]
            assert "500" in statuses, (method, path)
            for status, answer in statuses.items():
                if int(status) < 400 or path == "/healthz":
                    continue
                if "$ref" in answer:
                    name = answer["$ref"].rpartition("/")[2]
                    answer = SPEC["components"]["responses"][name]
                schema = answer["content"]["application/json"]["schema"]
                assert schema == error, (method, path, status)


def test_every_path_parameter_is_declared() -> None:
    for path, item in SPEC["paths"].items():
        names = {part[1:-1] for part in path.split("/") if part.startswith("{")}
        for operation in item.values():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == names, path


async def test_the_description_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["openapi"] == "3.1.0"
    assert body == SPEC
