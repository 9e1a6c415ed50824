"""Superset's REST API: a client with the bearer token, the session cookie and the CSRF token (standard library
only, so the test suite uses it from the project's venv)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.cookiejar import CookieJar


class SupersetError(RuntimeError):
    def __init__(self, status: int, body: str, what: str):
        super().__init__(f"{what}: HTTP {status}: {body[:2000]}")
        self.status, self.body = status, body


class Client:
    """Superset's REST API with a bearer token, the session cookie and the CSRF token (standard library only)."""

    def __init__(self, base_url: str, timeout: float = 120):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self.token: str | None = None
        self.csrf: str | None = None

    def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str | None = None, raw: bool = False
    ):
        headers = {"Accept": "application/json", "Referer": self.base_url + "/"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.csrf:
            headers["X-CSRFToken"] = self.csrf
        if content_type:
            headers["Content-Type"] = content_type
        req = urllib.request.Request(self.base_url + path, data=body, method=method, headers=headers)
        try:
            with self.opener.open(req, timeout=self.timeout) as response:
                data = response.read()
        except urllib.error.HTTPError as err:
            raise SupersetError(err.code, err.read().decode("utf-8", "replace"), f"{method} {path}") from None
        return data if raw else json.loads(data or b"null")

    def get(self, path: str, **query):
        if query:
            path += "?" + urllib.parse.urlencode({k: v if isinstance(v, str) else rison(v) for k, v in query.items()})
        return self.request("GET", path)

    def post(self, path: str, payload) -> dict:
        return self.request("POST", path, json.dumps(payload).encode(), "application/json")

    def put(self, path: str, payload) -> dict:
        return self.request("PUT", path, json.dumps(payload).encode(), "application/json")

    def post_multipart(self, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> dict:
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, (filename, content) in files.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: application/zip\r\n\r\n".encode()
                + content
                + b"\r\n"
            )
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request("POST", path, b"".join(parts), f"multipart/form-data; boundary={boundary}")

    def login(self, username: str, password: str) -> Client:
        answer = self.post(
            "/api/v1/security/login", {"username": username, "password": password, "provider": "db", "refresh": False}
        )
        self.token = answer["access_token"]
        # the CSRF token belongs to the session cookie this request sets
        self.csrf = self.get("/api/v1/security/csrf_token/")["result"]
        return self

    def all(self, resource: str) -> list[dict]:
        """Every row of a list endpoint (dataset, chart, dashboard, database)."""
        rows, page = [], 0
        while True:
            answer = self.get(f"/api/v1/{resource}/", q={"page": page, "page_size": 100})
            rows += answer["result"]
            if len(rows) >= answer["count"] or not answer["result"]:
                return rows
            page += 1

    def chart_data(self, chart_id: int, filters: list[dict] | None = None) -> list[dict]:
        """The rows of a chart's saved query, optionally with filters added the way a dashboard filter adds them
        ({"col": ..., "op": "IN", "val": [...]}): what the chart shows."""
        if not filters:
            answer = self.get(f"/api/v1/chart/{chart_id}/data/")
        else:
            chart = self.get(f"/api/v1/chart/{chart_id}")["result"]
            query_context = json.loads(chart["query_context"])
            for query in query_context["queries"]:
                query["filters"] = [*query.get("filters", []), *filters]
            answer = self.post("/api/v1/chart/data", query_context)
        return [row for result in answer["result"] for row in result["data"]]

    def sql(self, database_id: int, sql: str, schema: str = "marts") -> dict:
        """Runs a statement in SQL Lab (synchronously) as the database's user; SupersetError when refused."""
        return self.post(
            "/api/v1/sqllab/execute/",
            {"database_id": database_id, "sql": sql, "schema": schema, "runAsync": False, "select_as_cta": False},
        )


def rison(value) -> str:
    """The little of Rison that list queries need (dicts, lists, numbers, plain strings)."""
    if isinstance(value, dict):
        return "(" + ",".join(f"{k}:{rison(v)}" for k, v in value.items()) + ")"
    if isinstance(value, (list, tuple)):
        return "!(" + ",".join(rison(v) for v in value) + ")"
    if isinstance(value, bool):
        return "!t" if value else "!f"
    if isinstance(value, (int, float)):
        return str(value)
    return "'" + str(value).replace("!", "!!").replace("'", "!'") + "'"
