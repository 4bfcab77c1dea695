"""The 评选 JSON API as its callers use it (Flask's client, real logins, CSRF on, a chapter
published through the sandbox): editors and approvers create rounds, only a panel expert writes
their own sheet, and an expert sees the results only once the round is closed (or when the round
lets experts see each other's scores)."""

from __future__ import annotations

import pytest

from auth_helpers import login
from publishing_helpers import SERIES
from rating_helpers import EXPERT_PASSWORD, EXPERTS, OFFICE, make_users, marks, published
from wxpub.rating import rounds


@pytest.fixture
def api(rt, tmp_path, sandbox):
    """The web app over a published series, with the office and five experts."""
    from wxpub import create_app
    _releases, went_out = published(rt, tmp_path, sandbox)
    make_users(rt, {**OFFICE, **EXPERTS})
    app = create_app(runtime=rt)
    app.config["TESTING"] = True
    return {"rt": rt, "app": app, "went_out": went_out}


def _as(api, username):
    return login(api["app"], username, EXPERT_PASSWORD)


def _create(api, username="bianji", **body):
    client, headers = _as(api, username)
    body = {"series": SERIES, "name": "2023年度优秀案例评选", "deadline": "2099-12-31 18:00", **body}
    return client.post("/api/v1/rating-rounds", json=body, headers=headers)


def _panel(api, round_id, *usernames):
    rt = api["rt"]
    with rt.db.session() as s:
        for username in usernames:
            rounds.add_expert(s, round_id, username=username, actor="bianji", now=rt.clock.now())


def test_editors_and_approvers_create_rounds_over_the_published_cases(api):
    answer = _create(api)
    assert answer.status_code == 201, answer.get_json()
    data = answer.get_json()
    assert (data["series"], data["state"], data["show_others"], data["cases"]) == (SERIES, "open", False,
                                                                                 len(api["went_out"]))
    assert data["deadline"] == "2099-12-31T18:00:00+08:00"
    assert [c["name"] for c in data["criteria"]] == ["创新性", "实效性", "可复制推广性", "示范带动性"]
    chosen = [api["went_out"][0][0]]
    answer = _create(api, "zhongshen", name="只评一个案例", case_ids=chosen, show_others=True,
                     criteria=[{"name": "创新性", "weight": 1, "max": 100}])
    assert answer.status_code == 201 and answer.get_json()["cases"] == 1
    refused = _create(api, "jiaodui")
    assert refused.status_code == 403 and "新建评选" in refused.get_json()["message"]
    refused = _create(api, "zhuanjia1")
    assert refused.status_code == 403
    bad = _create(api, deadline="明天")
    assert bad.status_code == 400 and "deadline" in bad.get_json()["message"]
    past = _create(api, deadline="2020-01-01 09:00")
    assert past.status_code == 400 and "应晚于现在" in past.get_json()["message"]
    client, _ = _as(api, "bianji")
    listed = client.get("/api/v1/rating-rounds").get_json()["rounds"]
    assert [r["name"] for r in listed] == ["只评一个案例", "2023年度优秀案例评选"]


def test_an_expert_writes_only_their_own_sheet_and_submits_it_once(api):
    round_id = _create(api).get_json()["id"]
    _panel(api, round_id, "zhuanjia1")
    cases = [c for c, _ in api["went_out"]]
    client, headers = _as(api, "zhuanjia1")
    url = f"/api/v1/rating-rounds/{round_id}/sheets"
    saved = client.post(url, json={"entries": [{"case_id": cases[0], "scores": {"创新性": 8}, "comment": "好"}]},
                        headers=headers)
    assert saved.status_code == 200, saved.get_json()
    sheet = saved.get_json()
    assert sheet["state"] == "draft" and sheet["entries"][0]["scores"] == {"创新性": 8}
    early = client.post(url, json={"submit": True}, headers=headers)
    assert early.status_code == 400 and "还没有打分" in early.get_json()["message"]
    entries = [{"case_id": c, "scores": marks(7, 7, 6, 6)} for c in cases]
    entries[1] = {"case_id": cases[1], "conflict": True, "comment": "本人来自该单位"}
    done = client.post(url, json={"entries": entries, "submit": True}, headers=headers)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["state"] == "submitted" and len(done.get_json()["sha256"]) == 64
    again = client.post(url, json={"entries": [{"case_id": cases[0], "scores": marks(1, 1, 1, 1)}]},
                        headers=headers)
    assert again.status_code == 409 and "已提交，不能修改" in again.get_json()["message"]
    too_high = client.post(url, json={"entries": [{"case_id": cases[0], "scores": {"创新性": 12}}]}, headers=headers)
    assert too_high.status_code in (400, 409)
    # Someone not on the panel, and an editor, may not write a sheet.
    other, other_headers = _as(api, "zhuanjia2")
    refused = other.post(url, json={"entries": entries}, headers=other_headers)
    assert refused.status_code == 403 and "专家名单" in refused.get_json()["message"]
    editor, editor_headers = _as(api, "bianji")
    assert editor.post(url, json={"entries": entries}, headers=editor_headers).status_code == 403


def test_a_bad_score_names_the_criterion(api):
    round_id = _create(api).get_json()["id"]
    _panel(api, round_id, "zhuanjia1")
    client, headers = _as(api, "zhuanjia1")
    case = api["went_out"][0][0]
    answer = client.post(f"/api/v1/rating-rounds/{round_id}/sheets",
                         json={"entries": [{"case_id": case, "scores": {"创新性": 12}}]}, headers=headers)
    assert answer.status_code == 400 and "创新性" in answer.get_json()["message"]
    answer = client.post(f"/api/v1/rating-rounds/{round_id}/sheets",
                         json={"entries": [{"case_id": case, "scores": {"新颖性": 5}}]}, headers=headers)
    assert answer.status_code == 400 and "新颖性" in answer.get_json()["message"]
    answer = client.post(f"/api/v1/rating-rounds/{round_id}/sheets",
                         json={"entries": [{"case_id": 999999, "scores": {}}]}, headers=headers)
    assert answer.status_code == 404


def test_experts_see_results_only_after_the_close_unless_the_round_shows_them(api):
    hidden = _create(api).get_json()["id"]
    shown = _create(api, name="互看", show_others=True).get_json()["id"]
    for round_id in (hidden, shown):
        _panel(api, round_id, "zhuanjia1")
    expert, headers = _as(api, "zhuanjia1")
    entries = [{"case_id": c, "scores": marks(8, 7, 6, 5)} for c, _ in api["went_out"]]
    assert expert.post(f"/api/v1/rating-rounds/{hidden}/sheets", json={"entries": entries, "submit": True},
                       headers=headers).status_code == 200
    before = expert.get(f"/api/v1/rating-rounds/{hidden}/results")
    assert before.status_code == 403 and "评选结束前" in before.get_json()["message"]
    assert expert.get(f"/api/v1/rating-rounds/{shown}/results").status_code == 200
    outsider, _ = _as(api, "zhuanjia2")
    assert outsider.get(f"/api/v1/rating-rounds/{shown}/results").status_code == 403
    office, _ = _as(api, "jiaodui")
    data = office.get(f"/api/v1/rating-rounds/{hidden}/results").get_json()
    assert data["complete"] is True and data["experts"][0]["name"] == "陈教授"
    assert all(c["figures"] == {"陈教授": 67.0} for c in data["cases"])  # (30·80+30·70+20·60+20·50)/100
    rt = api["rt"]
    with rt.db.session() as s:
        rounds.close_round(s, hidden, actor="bianji", now=rt.clock.now())
    after = expert.get(f"/api/v1/rating-rounds/{hidden}/results")
    assert after.status_code == 200 and after.get_json() == office.get(f"/api/v1/rating-rounds/{hidden}/results").get_json()
    assert office.get("/api/v1/rating-rounds/999999/results").status_code == 404
