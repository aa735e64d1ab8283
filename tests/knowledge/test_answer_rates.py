"""各部门接诉即答率: per unit, the consultations answered at once from its knowledge against those dispatched
to it, ranked lowest first, with the bottom ones marked (吉政办发〔2021〕16号: they send staff to the hall)."""

from __future__ import annotations

from io import BytesIO

from openpyxl import load_workbook

from hotline.knowledge import answer_rates, maintenance, reading, service
from hotline.knowledge.models import Article, ArticleVersion
from hotline.tickets import service as tickets
from hotline.tickets.schemas import TicketCreate
from tests.conftest import START
from tests.factories import intake
from tests.test_pages import login


def consultations(db, rt, org, *, answered_from: Article | None = None, to_unit: str | None = None,
                  n: int) -> None:  # type: ignore[no-untyped-def]
    """`n` consultations, each answered at once citing `answered_from` or dispatched to `to_unit`."""
    extra: dict = {}
    if answered_from is not None:
        version = db.get(ArticleVersion, answered_from.published_version_id)
        extra["direct_answer"] = {"answer": "已按知识库口径答复。",
                                  "answer_source": reading.citation(answered_from, version)}
    else:
        extra["dispatch"] = {"lead_unit_id": org.units[to_unit].id}
    for i in range(n):
        data = TicketCreate(**intake(kind="consultation", title=f"咨询{i}", content=f"市民来电咨询第{i}个问题。",
                                     **extra))
        tickets.register(db, rt, actor=org.actor("operator"), data=data)


def scenario(db, rt, org, publish) -> None:  # type: ignore[no-untyped-def]
    """Housing 9 of 12 at once (75%), water 5 of 10 (50%), market 0 of 10, the street 1 of 11 (9.1%);
    the centre's own article answers once (nobody's consultation); a consultation about a street with
    2 dispatched only is not ranked."""
    housing = publish(key="H-1", questions=["公积金怎么提取？"])
    water = publish(drafter="water_handler", key="W-1", questions=["停水了怎么办？"])
    street = publish(drafter="street_handler", key="S-1", questions=["街道办几点上班？"])
    consultations(db, rt, org, answered_from=housing, n=9)
    consultations(db, rt, org, to_unit="housing", n=3)
    consultations(db, rt, org, answered_from=water, n=5)
    consultations(db, rt, org, to_unit="water", n=5)
    consultations(db, rt, org, to_unit="market", n=10)
    consultations(db, rt, org, answered_from=street, n=1)
    consultations(db, rt, org, to_unit="street", n=10)
    db.commit()


def test_units_are_ranked_lowest_first_and_the_bottom_marked(db, rt, org, publish) -> None:
    scenario(db, rt, org, publish)
    period = maintenance.make_period(now=START)
    result = answer_rates.answer_rates(db, who=service.who(db, org.actor("supervisor")), period=period)
    rows = [(u.unit_name, u.answered, u.dispatched, u.percent, u.rank, u.bottom) for u in result.units]
    assert rows == [("市市场监管局", 0, 10, 0.0, 1, True), ("孝陵卫街道", 1, 10, 9.1, 2, True),
                    ("南京水务", 5, 5, 50.0, 3, True), ("市房产局", 9, 3, 75.0, 4, False)]
    assert result.ranked == 4
    # a unit's staff see their own row and its place
    own = answer_rates.answer_rates(db, who=service.who(db, org.actor("housing_handler")), period=period)
    assert [(u.unit_name, u.rank) for u in own.units] == [("市房产局", 4)]


def test_the_cited_answers_are_one_public_query_of_the_maintenance_module(db, rt, org, publish) -> None:
    """The report's 答复次数 and the 接诉即答率 count the same answers through maintenance.cited_answers
    (answer_rates imported the private maintenance._cited)."""
    import ast
    import inspect

    from sqlalchemy import func

    scenario(db, rt, org, publish)
    period = maintenance.make_period(now=START)
    housing = org.units["housing"].id
    owner = func.coalesce(Article.owner_unit_id, maintenance.NO_UNIT)
    counted = maintenance.cited_answers(period).add_columns(owner, func.count()).group_by(owner)
    per_unit = dict(db.execute(counted).all())
    assert per_unit == {housing: 9, org.units["water"].id: 5, org.units["street"].id: 1}
    one = maintenance.cited_answers(period, unit_id=housing).add_columns(func.count())
    assert db.execute(one).scalar_one() == 9
    db.rollback()
    tree = ast.parse(inspect.getsource(answer_rates))
    imported = [a.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for a in node.names]
    assert "cited_answers" in imported and not [name for name in imported if name.startswith("_")]


def test_a_unit_with_few_consultations_is_listed_not_ranked(db, rt, org, publish) -> None:
    consultations(db, rt, org, to_unit="market", n=2)
    db.commit()
    result = answer_rates.answer_rates(db, who=service.who(db, org.actor("supervisor")),
                                       period=maintenance.make_period(now=START))
    rows = [(u.unit_name, u.consultations, u.rank, u.bottom) for u in result.units]
    assert rows == [("市市场监管局", 2, None, False)]
    assert result.ranked == 0


def test_page_api_and_excel(client, db, rt, org, publish, as_user) -> None:
    scenario(db, rt, org, publish)
    db.rollback()
    body = client.get("/api/v1/kb/answer-rates", headers=as_user("supervisor")).json()
    assert [(u["unit_name"], u["percent"], u["rank"], u["bottom"]) for u in body["units"]][:2] == [
        ("市市场监管局", 0.0, 1, True), ("孝陵卫街道", 9.1, 2, True)]
    assert body["ranked"] == 4 and "排名靠后" in body["rule"]
    login(client, "supervisor")
    page = client.get("/kb/maintenance").text
    assert "各部门接诉即答率" in page and "1 / 4" in page and "排名靠后" in page
    sheet = load_workbook(BytesIO(client.get("/kb/maintenance/answer-rates.xlsx").content)).active
    assert sheet["F1"].value == "接诉即答率"
    assert [c.value for c in sheet[2]] == [1, "市市场监管局", 0, 10, 10, 0.0, "排名靠后"]
    # the rate a number in per cent, as every export writes rates (it wrote 75.0 under 接诉即答率（%）)
    assert [c.value for c in sheet[5]][:6] == [4, "市房产局", 9, 3, 12, 0.75]
    assert sheet["F5"].number_format == "0.0%" and sheet["F5"].data_type == "n"


def test_empty_period_says_so(client, as_user) -> None:
    login(client, "supervisor")
    assert "本期没有咨询类诉求的直接答复或派单" in client.get("/kb/maintenance").text
    assert client.get("/api/v1/kb/answer-rates", headers=as_user("supervisor")).json()["units"] == []
