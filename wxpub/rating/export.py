"""The round as an XLSX workbook: 「评分明细」 (one row per expert × case × criterion, with what it
takes to recompute every figure), 「评选结果」 (the results table) and 「评分标准」 (the criteria).
Text cells are neutralised against formulas as in ``wxpub.stats.exports``."""

from __future__ import annotations

import io

from sqlalchemy import select
from sqlalchemy.orm import Session

from wxpub.core import rating as math
from wxpub.models.rating import RatingEntry
from wxpub.rating.common import criteria, get
from wxpub.rating.results import expert_names, figures, results
from wxpub.rating.rounds import cases_of, experts_of
from wxpub.stats.exports import neutralise

DETAIL = "评分明细"
RESULTS = "评选结果"
CRITERIA = "评分标准"
DETAIL_HEADER = ("专家编号", "专家", "专家单位", "案例编号", "案例", "申报单位", "评分标准", "分数", "权重",
                 "满分", "该专家对该案例的加权得分", "回避", "评分表版本")
RESULT_HEADER = ("名次", "案例编号", "案例", "申报单位", "最终得分", "平均分", "去掉最高最低分后的平均分",
                 "标准差", "最低", "最高", "评分专家数", "回避专家", "去掉的最高/最低分专家", "说明", "表彰等级")


def _cell(value):
    return neutralise(value) if isinstance(value, str) else value


def _sheet(book, title: str, header, rows, widths=()) -> None:
    ws = book.create_sheet(title)
    ws.append([_cell(h) for h in header])
    for row in rows:
        ws.append([_cell(v) for v in row])
    for index, width in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + index)].width = width
    ws.freeze_panes = "A2"


def detail_rows(session: Session, round_id: int) -> list[tuple]:
    """The 评分明细 rows from the counted (submitted) sheets, by expert then case then criterion;
    an abstention is one row per criterion with no score, 回避 = 是."""
    rnd = get(session, round_id)
    crits = criteria(rnd)
    per_case, _abstained, sheets = figures(session, rnd)
    experts = experts_of(session, rnd.id)
    names = expert_names(experts)
    cases = cases_of(session, rnd.id)
    rows = []
    for expert in experts:
        sheet = sheets.get(expert.id)
        if sheet is None:
            continue
        found = {e.rating_case_id: e for e in session.scalars(select(RatingEntry).where(RatingEntry.sheet_id == sheet.id))}
        for case in cases:
            entry = found.get(case.id)
            if entry is None:
                continue
            figure = per_case[case.id].get(expert.id)
            for crit in crits:
                score = None if entry.conflict else entry.scores.get(crit.name)
                rows.append((expert.id, names[expert.id], expert.unit, case.case_id, case.title, case.unit,
                             crit.name, score, crit.weight, crit.max,
                             None if figure is None else round(figure, 4), "是" if entry.conflict else "否",
                             sheet.number))
    return rows


def xlsx(session: Session, round_id: int) -> bytes:
    """The workbook (bytes) of the round's scores, results and criteria."""
    from openpyxl import Workbook

    data = results(session, round_id)
    book = Workbook()
    book.remove(book.active)
    _sheet(book, DETAIL, DETAIL_HEADER, detail_rows(session, round_id),
           (9, 12, 18, 9, 36, 24, 14, 8, 8, 8, 14, 6, 8))
    _sheet(book, RESULTS, RESULT_HEADER, [
        (c["rank"], c["case_id"], c["title"], c["unit"], c["final"], c["mean"], c["trimmed"], c["spread"],
         c["low"], c["high"], c["n"], "、".join(c["abstained"]), "、".join(c["dropped"]), c["note"],
         c["commendation"] or "") for c in data["cases"]], (6, 9, 36, 24, 10, 10, 14, 8, 8, 8, 10, 16, 20, 40, 10))
    ws = book[RESULTS]
    ws.append([])
    ws.append([_cell("专家一致性：与其他专家平均分的平均差距（分，满分 100）"
                     f"；超过中位数 {math.OUTLIER_FACTOR:g} 倍且至少 {math.OUTLIER_MIN:g} 分的标为偏离")])
    ws.append(["专家", "单位", "评分案例数", "平均差距", "偏离"])
    for e in data["experts"]:
        ws.append([_cell(e["name"]), _cell(e["unit"]), e["cases"], e["difference"], "是" if e["outlier"] else ""])
    _sheet(book, CRITERIA, ("评分标准", "权重", "满分"),
           [(c["name"], c["weight"], c["max"]) for c in data["criteria"]], (20, 8, 8))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
