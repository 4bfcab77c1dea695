"""A client generated from ``/api/v1/openapi.json`` by an independent generator
(``openapi-python-client``, offline: no post hooks) talks to a live server with an API token: it
lists releases a page at a time, reads one, makes a write, and reads a 4xx as the error schema."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path


from datetime import timedelta

from publishing_helpers import apply_and_approve, import_samples, plan_file
from review_helpers import make_office
from servers import serve_app
from wxpub.staff import api_tokens, users

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "wxpub_api_client"
CONFIG = f"post_hooks: []\npackage_name_override: {PACKAGE}\nproject_name_override: wxpub-api-client\n"


def _generate(doc: dict, where: Path):
    """Generate the client package into ``where`` and import it."""
    (where / "openapi.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    (where / "config.yml").write_text(CONFIG, encoding="utf-8")
    done = subprocess.run([str(GENERATOR), "generate", "--path", "openapi.json", "--config", "config.yml",
                           "--meta", "none", "--output-path", PACKAGE, "--fail-on-warning"],
                          cwd=where, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(where))
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]  # another test's generated package
    return importlib.import_module(PACKAGE)


def test_a_generated_client_lists_pages_reads_writes_and_sees_errors(app, runtime, tmp_path):
    make_office(runtime)
    import_samples(runtime)
    ids = apply_and_approve(runtime, plan_file(tmp_path, chapters=("市场环境", "政务环境", "法治环境"),
                                               start=runtime.clock.now() + timedelta(days=3)))
    with runtime.db.session() as session:
        users.create_user(session, "jicheng", "correct-horse-9", "editor", now=runtime.clock.now(), actor="测试")
        _row, token = api_tokens.create(session, user="jicheng", name="对接测试", scope="write", actor="测试",
                                        now=runtime.clock.now())
    with serve_app(app) as served:
        doc = json.loads(_http_get(f"{served.url}/api/v1/openapi.json"))  # no login needed
        client_pkg = _generate(doc, tmp_path)
        releases = _Operations(f"{PACKAGE}.api.releases")
        client = client_pkg.AuthenticatedClient(base_url=f"{served.url}/api/v1", token=token)

        first = releases.api_releases_list_releases.sync(client=client, page=1, per_page=2)
        assert (first.page, first.per_page, first.total) == (1, 2, 3)
        second = releases.api_releases_list_releases.sync(client=client, page=2, per_page=2)
        listed = [r.id for r in first.releases] + [r.id for r in second.releases]
        assert listed == ids and second.releases[0].state == "approved"

        one = releases.api_releases_get_release.sync(release_id=ids[0], client=client)
        assert one.id == ids[0] and one.state_name and one.scheduled_at.endswith("+08:00")

        models = importlib.import_module(f"{PACKAGE}.models")
        held = releases.api_releases_hold_release.sync(release_id=ids[0], client=client,
                                                      body=models.Hold(reason="等领导确认"))
        assert held.state == "held"

        again = releases.api_releases_resume_release.sync_detailed(release_id=ids[1], client=client)
        assert again.status_code == 409
        assert isinstance(again.parsed, models.Error) and again.parsed.error == "bad_transition"
        assert "只有“已暂停”的发布可以恢复" in again.parsed.message
        missing = releases.api_releases_get_release.sync_detailed(release_id=999999, client=client)
        assert missing.status_code == 404 and missing.parsed.error == "not_found"

        anonymous = client_pkg.Client(base_url=f"{served.url}/api/v1")
        refused = releases.api_releases_list_releases.sync_detailed(client=anonymous)
        assert refused.status_code == 401 and refused.parsed.message == "请先登录"


class _Operations:
    """``ops.name``: the generated module of that operation (the package imports none itself)."""

    def __init__(self, package: str):
        self.package = package

    def __getattr__(self, name: str):
        return importlib.import_module(f"{self.package}.{name}")


def _http_get(url: str) -> str:
    from urllib.request import urlopen
    with urlopen(url, timeout=10) as answer:
        return answer.read().decode("utf-8")
