"""The one way tests log in: through the real form, with CSRF on, as a browser would."""

from __future__ import annotations

import re

CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def login(app, username: str, password: str):
    """A test client logged in as ``username`` and the headers its JSON writes need (CSRF)."""
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = CSRF_FIELD.search(page).group(1)
    answer = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert answer.status_code == 302, f"login as {username} failed with HTTP {answer.status_code}"
    api_token = client.get("/api/v1/csrf-token").get_json()["csrf_token"]
    return client, {"X-CSRFToken": api_token}
