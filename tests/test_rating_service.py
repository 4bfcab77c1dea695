"""评选 as the office and the experts do it, through the service functions the pages and the API
call, on a real migrated database with a chapter published through the sandbox: the round's cases
are the published ones as they went out; sheets are saved as the expert goes, submitted once and
then frozen; a correction is a new, audited sheet; a conflict of interest takes the expert out of
that case's figure; invitation links expire and are kept only as hashes; the results and the XLSX
agree with arithmetic done here by hand."""

from __future__ import annotations

import hashlib
import io
import statistics
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import select

from publishing_helpers import SERIES
from rating_helpers import (EXPERTS, OFFICE, case_ids, expert_id, fill, make_users, marks, new_round,
                            published)
from wxpub.core import rating as core
from wxpub.core.errors import Conflict, NotFound, ValidationError
from wxpub.models import AuditEntry, Case, Chapter, Release
from wxpub.models.rating import RatingCase, RatingExpert, RatingSheet
from wxpub.rating import export, results as rating_results, rounds, sheets
from wxpub.staff import audit as audit_names


@pytest.fixture
def office(rt, tmp_path, sandbox):
    """A published chapter, the office's accounts and five 评审专家."""
    releases, went_out = published(rt, tmp_path, sandbox)
    make_users(rt, {**OFFICE, **EXPERTS})
    return {"rt": rt, "releases": releases, "went_out": went_out}


def _actions(rt, round_id) -> list[AuditEntry]:
    with rt.db.session() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.object_type == "rating_round",
                                                       AuditEntry.object_id == str(round_id))
                              .order_by(AuditEntry.seq, AuditEntry.id)))


def test_a_round_takes_the_published_cases_as_they_went_out(office):
    rt, releases = office["rt"], office["releases"]
    round_id = new_round(rt)
    with rt.db.session() as s:
        cases = s.scalars(select(RatingCase).where(RatingCase.round_id == round_id)
                          .order_by(RatingCase.position)).all()
        assert [(c.case_id, c.article_id) for c in cases] == office["went_out"]
        assert {c.release_id for c in cases} == {r.id for r in releases}
        assert all(s.get(Release, r.id).state == "published" for r in releases)
        # 法治环境 was only planned: none of its cases is in the round.
        planned = s.scalars(select(Case.id).join(Chapter).where(Chapter.name == "法治环境")).all()
        assert planned and not set(planned) & {c.case_id for c in cases}
        for c in cases:
            case = s.get(Case, c.case_id)
            assert (c.title, c.unit) == (case.title, case.unit)
        rnd = rounds.get(s, round_id)
        assert [(c["name"], c["weight"], c["max"]) for c in rnd.criteria] == \
            [(n, float(w), float(m)) for n, w, m in core.DEFAULT_CRITERIA]
        assert rnd.show_others is False and rnd.state == "open"
        # A deadline in the past, an unknown series, bad criteria: refused, naming the field.
        with pytest.raises(ValidationError, match="deadline"):
            rounds.create_round(s, series=SERIES, name="x", deadline=rt.clock.now() - timedelta(minutes=1),
                                actor="bianji", now=rt.clock.now())
        with pytest.raises(NotFound, match="series"):
            rounds.create_round(s, series="没有的系列", name="x", deadline=rt.clock.now() + timedelta(days=1),
                                actor="bianji", now=rt.clock.now())
        with pytest.raises(ValidationError, match="criteria.*权重"):
            rounds.create_round(s, series=SERIES, name="x", deadline=rt.clock.now() + timedelta(days=1),
                                criteria=[{"name": "创新性", "weight": 0, "max": 10}], actor="bianji",
                                now=rt.clock.now())
        # Only a 评审专家 account joins the panel.
        with pytest.raises(ValidationError, match="不是评审专家"):
            rounds.add_expert(s, round_id, username="jiaodui", actor="bianji", now=rt.clock.now())
    assert [a.action for a in _actions(rt, round_id)] == ["rating.create"]


def test_a_sheet_is_saved_as_the_expert_goes_then_submitted_once(office):
    rt = office["rt"]
    round_id = new_round(rt, experts=["zhuanjia1"])
    me = expert_id(rt, round_id, "zhuanjia1")
    ids = case_ids(rt, round_id)
    first, *rest = ids
    with rt.db.session() as s:
        sheets.save_entry(s, me, ids[first], scores={"创新性": 8}, comment="思路新", actor="zhuanjia1",
                          now=rt.clock.now())
        sheets.save_entry(s, me, ids[first], scores={"创新性": 8.5, "实效性": 7}, comment="思路新，有数据",
                          actor="zhuanjia1", now=rt.clock.now())
        with pytest.raises(ValidationError, match="创新性.*0 到 10"):
            sheets.save_entry(s, me, ids[first], scores={"创新性": 11}, actor="zhuanjia1", now=rt.clock.now())
        sheet = sheets.current_sheet(s, me)
        kept = sheets.entries(s, sheet.id)[ids[first]]
        assert (sheet.state, kept.scores, kept.comment) == ("draft", {"创新性": 8.5, "实效性": 7}, "思路新，有数据")
        # Not everything scored yet: submitting names the case still missing.
        with pytest.raises(ValidationError, match="可复制推广性"):
            sheets.submit_sheet(s, me, actor="zhuanjia1", now=rt.clock.now())
    fill(rt, me, round_id, {first: marks(8.5, 7, 6, 6), **{c: marks(6, 6, 6, 6) for c in rest}})
    with rt.db.session() as s:
        sheet = sheets.current_sheet(s, me)
        assert sheet.state == "submitted" and sheet.sha256 == sheets.sheet_sha256(s, sheet)
        with pytest.raises(Conflict, match="已提交，不能修改"):
            sheets.save_entry(s, me, ids[first], scores=marks(1, 1, 1, 1), actor="zhuanjia1", now=rt.clock.now())
        with pytest.raises(Conflict, match="已提交"):
            sheets.submit_sheet(s, me, actor="zhuanjia1", now=rt.clock.now())
        assert sheets.entries(s, sheet.id)[ids[first]].scores == marks(8.5, 7, 6, 6)
    actions = [a.action for a in _actions(rt, round_id)]
    assert actions.count("rating.submit") == 1 and "rating.entry_save" in actions


def test_a_correction_is_a_new_sheet_that_counts_only_once_submitted(office):
    rt = office["rt"]
    round_id = new_round(rt, experts=["zhuanjia1"])
    me = expert_id(rt, round_id, "zhuanjia1")
    ids = case_ids(rt, round_id)
    first = next(iter(ids))
    fill(rt, me, round_id, {c: marks(6, 6, 6, 6) for c in ids})
    with rt.db.session() as s:
        with pytest.raises(ValidationError, match="更正原因"):
            sheets.correct_sheet(s, me, reason="  ", actor="zhuanjia1", now=rt.clock.now())
        correction = sheets.correct_sheet(s, me, reason="第一个案例的实效性看错了数据", actor="zhuanjia1",
                                          now=rt.clock.now())
        assert (correction.number, correction.state) == (2, "draft")
        sheets.save_entry(s, me, ids[first], scores=marks(6, 9, 6, 6), actor="zhuanjia1", now=rt.clock.now())
        # Not yet submitted: the results still use the first sheet.
        assert _figure(s, round_id, first) == 60.0
    with rt.db.session() as s:
        sheets.submit_sheet(s, me, actor="zhuanjia1", now=rt.clock.now())
        assert _figure(s, round_id, first) == pytest.approx(69.0)  # (30·60 + 30·90 + 20·60 + 20·60) / 100
        states = [x.state for x in s.scalars(select(RatingSheet).where(RatingSheet.expert_id == me)
                                             .order_by(RatingSheet.number))]
        assert states == ["superseded", "submitted"]
    [corrected] = [a for a in _actions(rt, round_id) if a.action == "rating.correct"]
    assert corrected.actor == "zhuanjia1" and corrected.detail["reason"] == "第一个案例的实效性看错了数据"
    assert audit_names.action_name("rating.correct") == "更正评分表"


def _figure(session, round_id, case_id):
    data = rating_results.results(session, round_id)
    [row] = [c for c in data["cases"] if c["case_id"] == case_id]
    return row["final"]


def test_a_conflict_of_interest_leaves_the_expert_out_of_that_case(office):
    rt = office["rt"]
    round_id = new_round(rt, experts=["zhuanjia1", "zhuanjia2"])
    ids = case_ids(rt, round_id)
    first, *rest = ids
    one, two = expert_id(rt, round_id, "zhuanjia1"), expert_id(rt, round_id, "zhuanjia2")
    fill(rt, one, round_id, {c: marks(8, 8, 8, 8) for c in ids})
    with rt.db.session() as s:  # declaring a conflict clears what was typed before
        sheets.save_entry(s, two, ids[first], scores=marks(2, 2, 2, 2), actor="zhuanjia2", now=rt.clock.now())
        sheets.save_entry(s, two, ids[first], scores=marks(2, 2, 2, 2), conflict=True, actor="zhuanjia2",
                          now=rt.clock.now())
        assert sheets.entries(s, sheets.current_sheet(s, two).id)[ids[first]].scores == {}
    fill(rt, two, round_id, {c: marks(6, 6, 6, 6) for c in rest})
    with rt.db.session() as s:
        data = rating_results.results(s, round_id)
    by_case = {c["case_id"]: c for c in data["cases"]}
    assert by_case[first]["figures"] == {"陈教授": 80.0} and by_case[first]["abstained"] == ["林研究员"]
    assert (by_case[first]["n"], by_case[first]["final"]) == (1, 80.0)
    assert all(by_case[c]["n"] == 2 and by_case[c]["final"] == 70.0 for c in rest)
    assert data["complete"] is True


def test_scores_are_hidden_from_experts_until_the_round_closes(office):
    rt = office["rt"]
    hidden, shown = new_round(rt), new_round(rt, name="互看评分的评选", show_others=True)
    with rt.db.session() as s:
        for round_id in (hidden, shown):
            rnd = rounds.get(s, round_id)
            expert = s.get(RatingExpert, rounds.add_expert(s, round_id, username="zhuanjia1", actor="bianji",
                                                           now=rt.clock.now()).id)
            assert rating_results.may_see_results(rnd, "editor") and rating_results.may_see_results(rnd, "approver")
        assert not rating_results.may_see_results(rounds.get(s, hidden), "expert", expert)
        assert rating_results.may_see_results(rounds.get(s, shown), "expert", expert)
        rounds.close_round(s, hidden, actor="bianji", now=rt.clock.now())
        assert rating_results.may_see_results(rounds.get(s, hidden), "expert", expert)
        with pytest.raises(Conflict, match="已结束"):
            sheets.save_entry(s, rounds.expert_of_user(s, hidden, "zhuanjia1").id,
                              next(iter(case_ids(rt, hidden).values())), scores={}, actor="x", now=rt.clock.now())


def test_an_invitation_link_works_until_it_expires_and_only_its_hash_is_kept(office):
    rt = office["rt"]
    round_id = new_round(rt, days=30)
    now = rt.clock.now()
    with rt.db.session() as s:
        expert, token = rounds.invite_expert(s, round_id, name="周教授", unit="南开大学", days=14,
                                             actor="bianji", now=now)
        assert token.startswith("wxr_") and len(token) > 30
        row = s.get(RatingExpert, expert.id)
        assert row.invite_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in (row.invite_prefix or "") or len(row.invite_prefix) < len(token)
        assert rounds.expert_by_invite(s, token, now + timedelta(days=13)).id == expert.id
        assert rounds.expert_by_invite(s, token, now + timedelta(days=14, seconds=1)) is None
        assert rounds.expert_by_invite(s, token + "x", now) is None
        assert rounds.expert_by_invite(s, "wxr_unknown", now) is None
    # The token is nowhere in the audit trail.
    assert all(token not in str(a.detail) for a in _actions(rt, round_id))
    with rt.db.session() as s:  # the invited expert rates like anyone else
        ids = case_ids(rt, round_id)
        for rating_case_id in ids.values():
            sheets.save_entry(s, expert.id, rating_case_id, scores=marks(7, 7, 7, 7), actor="周教授（邀请）",
                              now=rt.clock.now())
        sheets.submit_sheet(s, expert.id, actor="周教授（邀请）", now=rt.clock.now())
        rounds.close_round(s, round_id, actor="bianji", now=rt.clock.now())
        assert rounds.expert_by_invite(s, token, rt.clock.now()) is None  # closed: the link stops


def test_results_match_the_arithmetic_for_a_hand_made_panel(office):
    rt = office["rt"]
    names = ["zhuanjia1", "zhuanjia2", "zhuanjia3"]
    round_id = new_round(rt, experts=names)
    ids = list(case_ids(rt, round_id))
    given = {"zhuanjia1": [marks(9, 8, 7, 6), marks(5, 5, 5, 5), marks(7, 7, 7, 7)],
             "zhuanjia2": [marks(8, 8, 8, 8), marks(6, 5, 4, 3), marks(7, 7, 7, 7)],
             "zhuanjia3": [marks(10, 9, 8, 7), "conflict", marks(7, 7, 7, 7)]}
    experts = {u: expert_id(rt, round_id, u) for u in names}
    for username, rows in given.items():
        fill(rt, experts[username], round_id, {c: m for c, m in zip(ids, rows)}
             | {c: marks(5, 5, 5, 5) for c in ids[3:]})
    crits = core.criteria_from([{"name": n, "weight": w, "max": m} for n, w, m in core.DEFAULT_CRITERIA])
    figures, abstained = {c: {} for c in ids}, {c: [] for c in ids}
    for username, rows in given.items():
        for c, m in zip(ids, rows + [marks(5, 5, 5, 5)] * (len(ids) - 3)):
            if m == "conflict":
                abstained[c].append(experts[username])
            else:
                figures[c][experts[username]] = core.weighted(m, crits)
    expected = core.results(figures, abstained)
    with rt.db.session() as s:
        data = rating_results.results(s, round_id)
    with rt.db.session() as s:
        case_of = {rc.case_id: rc for rc in rounds.cases_of(s, round_id)}
    got = [(c["case_id"], c["rank"], c["final"], c["mean"], c["spread"]) for c in data["cases"]]
    want = [(c, r.rank, round(r.final, 2), round(r.mean, 2), round(r.spread, 2))
            for r in expected.cases for c in [r.case_id]]
    assert got == want
    assert case_of[ids[1]].case_id == ids[1]
    assert [c["abstained"] for c in data["cases"] if c["case_id"] == ids[1]] == [["黄处长"]]
    assert {e["name"]: e["difference"] for e in data["experts"]} == \
        {EXPERTS[u][0]: round(next(a.difference for a in expected.experts if a.expert_id == experts[u]), 2)
         for u in names}


def _recompute(rows: list[dict]) -> dict:
    """From the 评分明细 rows, by plain arithmetic: each expert's figure per case, then per case
    the mean, the mean without the highest and lowest (five experts or more) and the rank."""
    per = {}
    for r in rows:
        key = (r["案例编号"], r["专家编号"])
        item = per.setdefault(key, {"conflict": r["回避"] == "是", "top": 0.0, "weights": 0.0})
        if not item["conflict"]:
            item["top"] += r["权重"] * r["分数"] / r["满分"] * 100
            item["weights"] += r["权重"]
    cases = {}
    for (case_id, expert), item in per.items():
        if not item["conflict"]:
            cases.setdefault(case_id, []).append(item["top"] / item["weights"])
    out = {}
    for case_id, values in cases.items():
        mean = sum(values) / len(values)
        kept = sorted(values)[1:-1] if len(values) >= 5 else None
        trimmed = sum(kept) / len(kept) if kept else None
        out[case_id] = {"n": len(values), "mean": mean, "trimmed": trimmed,
                        "final": trimmed if trimmed is not None else mean}
    ordered = sorted(out, key=lambda c: -round(out[c]["final"], 2))
    for case_id in out:
        out[case_id]["rank"] = 1 + sum(1 for o in ordered if round(out[o]["final"], 2) > round(out[case_id]["final"], 2))
    return out


def _sheet_rows(book, title: str) -> list[dict]:
    ws = book[title]
    values = list(ws.iter_rows(values_only=True))
    header = values[0]
    out = []
    for row in values[1:]:
        if not any(v is not None for v in row):
            break
        out.append(dict(zip(header, row)))
    return out


def test_the_issue_check_five_experts_one_abstaining_one_outlying(office):
    """The issue's check: five experts over the published series, one abstaining on one case, one
    with outlying scores; the figures recomputed from the exported sheet match, the outlier shows."""
    rt = office["rt"]
    names = list(EXPERTS)
    round_id = new_round(rt, experts=names)
    ids = list(case_ids(rt, round_id))
    panel = {u: expert_id(rt, round_id, u) for u in names}
    similar = [[(8, 8, 7, 7), (6, 6, 6, 5), (5, 5, 4, 4)], [(8, 7, 7, 7), (6, 6, 5, 5), (5, 4, 4, 4)],
               [(7, 8, 8, 7), (6, 5, 6, 6), (4, 5, 5, 4)], [(8, 8, 8, 7), (7, 6, 6, 5), (5, 5, 5, 4)]]
    for number, username in enumerate(names[:4]):
        rows = [marks(*v) for v in similar[number]] + [marks(6, 6, 6, 6)] * (len(ids) - 3)
        sheet = dict(zip(ids, rows))
        if username == "zhuanjia2":
            sheet[ids[0]] = "conflict"  # 林研究员 comes from the first case's unit
        fill(rt, panel[username], round_id, sheet)
    outlying = [marks(2, 2, 2, 2), marks(10, 10, 10, 10), marks(10, 10, 10, 9)] + [marks(1, 1, 1, 1)] * (len(ids) - 3)
    fill(rt, panel["zhuanjia5"], round_id, dict(zip(ids, outlying)))
    with rt.db.session() as s:
        rounds.close_round(s, round_id, actor="bianji", now=rt.clock.now())
        data = rating_results.results(s, round_id)
        workbook = export.xlsx(s, round_id)
    book = openpyxl.load_workbook(io.BytesIO(workbook))
    assert book.sheetnames == ["评分明细", "评选结果", "评分标准"]
    detail = _sheet_rows(book, "评分明细")
    assert len(detail) == 5 * len(ids) * 4
    mine = _recompute(detail)
    shown = {r["案例编号"]: r for r in _sheet_rows(book, "评选结果")}
    assert set(shown) == set(mine) == set(ids)
    for case_id, figures in mine.items():
        row = shown[case_id]
        assert row["评分专家数"] == figures["n"]
        assert row["平均分"] == round(figures["mean"], 2)
        assert row["最终得分"] == round(figures["final"], 2)
        assert row["名次"] == figures["rank"]
        if figures["trimmed"] is None:
            assert row["去掉最高最低分后的平均分"] is None
        else:
            assert row["去掉最高最低分后的平均分"] == round(figures["trimmed"], 2)
    assert mine[ids[0]]["n"] == 4 and mine[ids[0]]["trimmed"] is None  # the abstention: four, not trimmed
    assert all(mine[c]["n"] == 5 and mine[c]["trimmed"] is not None for c in ids[1:])
    assert shown[ids[0]]["回避专家"] == "林研究员"
    # The same figures in the JSON, and the outlier marked, in both.
    assert {c["case_id"]: c["final"] for c in data["cases"]} == {c: round(f["final"], 2) for c, f in mine.items()}
    outliers = [e["name"] for e in data["experts"] if e["outlier"]]
    assert outliers == ["郑会计师"]
    agreement = list(book["评选结果"].iter_rows(values_only=True))
    marked = [row[0] for row in agreement if row and row[4] == "是"]
    assert marked == ["郑会计师"]
    # Agreement recomputed here too: the outlier's mean distance is far beyond twice the median.
    distance = {}
    figures_by_case = {}
    for r in detail:
        if r["回避"] == "否":
            figures_by_case.setdefault(r["案例编号"], {})[r["专家"]] = r["该专家对该案例的加权得分"]
    for per in figures_by_case.values():
        for name, value in per.items():
            others = [v for n, v in per.items() if n != name]
            distance.setdefault(name, []).append(abs(value - sum(others) / len(others)))
    means = {n: sum(v) / len(v) for n, v in distance.items()}
    median = statistics.median(means.values())
    assert [n for n, d in means.items() if d > 2 * median and d >= 10] == ["郑会计师"]
    assert book["评分标准"]["A2"].value == "创新性" and book["评分标准"]["B2"].value == 30


def test_the_office_commends_after_the_round_closes(office):
    rt = office["rt"]
    round_id = new_round(rt, experts=["zhuanjia1"])
    ids = list(case_ids(rt, round_id))
    fill(rt, expert_id(rt, round_id, "zhuanjia1"), round_id, {c: marks(7, 7, 7, 7) for c in ids})
    with rt.db.session() as s:
        with pytest.raises(Conflict, match="还没有结束"):
            rating_results.commend(s, round_id, ids[0], "一等", actor="bianji", now=rt.clock.now())
        rounds.close_round(s, round_id, actor="bianji", now=rt.clock.now())
        with pytest.raises(ValidationError, match="表彰等级"):
            rating_results.commend(s, round_id, ids[0], "特等", actor="bianji", now=rt.clock.now())
        rating_results.commend(s, round_id, ids[0], "一等", actor="bianji", now=rt.clock.now())
        rating_results.commend(s, round_id, ids[1], "二等", actor="bianji", now=rt.clock.now())
        rating_results.uncommend(s, round_id, ids[1], actor="bianji", now=rt.clock.now())
        assert rating_results.commendations_of_cases(s, ids) == {ids[0]: ("一等", "2023年度优秀案例评选")}
        rating_results.sign_off(s, round_id, names=["陈教授", "林研究员"], actor="bianji", now=rt.clock.now())
        data = rating_results.results(s, round_id)
        assert [c["commendation"] for c in data["cases"] if c["case_id"] == ids[0]] == ["一等"]
        assert data["round"]["signoff"]["names"] == ["陈教授", "林研究员"]
    actions = [a.action for a in _actions(rt, round_id)]
    for action in ("rating.create", "rating.expert_add", "rating.entry_save", "rating.submit", "rating.close",
                   "rating.commend", "rating.uncommend", "rating.signoff"):
        assert action in actions
        assert audit_names.action_name(action) != action
    assert audit_names.object_label("rating_round", str(round_id)) == f"评选 {round_id}"
