"""Place extraction against the jurisdiction tree."""

from __future__ import annotations

from hotline.dispatch.place import CALIBRATION, CONTESTED, Gazetteer, Place, calibrated, guess_place
from hotline.dispatch.place import PLACE_CONFIDENCE as ACT

P = [
    Place(1, "320100", "南京市", "city", "/1/"),
    Place(2, "320102", "玄武区", "district", "/1/2/"),
    Place(3, "320102001", "孝陵卫街道", "street", "/1/2/3/"),
    Place(4, "320104", "秦淮区", "district", "/1/4/"),
    Place(5, "320104009", "新街口街道", "street", "/1/4/5/"),
    Place(6, "320106", "鼓楼区", "district", "/1/6/"),
    Place(7, "320106011", "新街口街道", "street", "/1/6/7/"),  # the same street name in two districts
]


def test_the_deepest_consistent_name_wins_and_the_address_counts_most() -> None:
    gaz = Gazetteer(P)
    g = gaz.guess(address="玄武区孝陵卫街道钟灵街50号", text="餐馆噪音扰民")
    assert g and g.place.code == "320102001" and g.source == "address" and g.confidence >= ACT
    # Without the suffix, the name is still recognised.
    g = gaz.guess(address=None, text="孝陵卫这边的菜市场占道经营")
    assert g and g.place.code == "320102001" and g.source == "text"
    # Only a district named: its full name in the address is enough to act on; in the text, or
    # shortened, it is shown to the operator to confirm.
    g = gaz.guess(address="秦淮区某小区", text="")
    assert g and g.place.code == "320104" and g.confidence >= ACT
    assert gaz.guess(address="秦淮某小区", text="").confidence < ACT
    assert gaz.guess(address=None, text="秦淮区某小区").confidence < ACT


def test_an_ambiguous_street_is_resolved_by_its_district_or_marked_unsure() -> None:
    gaz = Gazetteer(P)
    g = gaz.guess(address="鼓楼区新街口街道", text=None)
    assert g and g.place.code == "320106011"
    g = gaz.guess(address=None, text="新街口街道路灯不亮")
    assert g and g.place.name == "新街口街道" and g.confidence < 0.5
    assert gaz.guess(address="", text="没有地名的内容") is None


def test_places_named_side_by_side_are_alternatives_and_lower_the_confidence() -> None:
    gaz = Gazetteer(P)
    alone = gaz.guess(address=None, text="秦淮区某小区噪音")
    both = gaz.guess(address=None, text="秦淮区某小区噪音，玄武区那边也有")
    assert alone and both and both.confidence < alone.confidence
    assert both.contested and both.confidence == CONTESTED  # either may be meant, whatever the field
    in_address = gaz.guess(address="秦淮区与玄武区交界", text="")
    assert in_address and in_address.contested and in_address.confidence == CONTESTED
    # two streets with their districts: the other street is offered once, not again as its district
    g = gaz.guess(address=None, text="鼓楼区新街口街道和玄武区孝陵卫街道交界处")
    assert g and g.contested and len(g.alternatives) == 1
    assert {g.place.name, g.alternatives[0].place.name} == {"新街口街道", "孝陵卫街道"}
    assert [a.place.name for a in both.alternatives] == ["玄武区" if both.place.name == "秦淮区" else "秦淮区"]
    # a place above or below the guess agrees with it: no alternative, more confidence
    g = gaz.guess(address=None, text="玄武区孝陵卫街道的菜市场")
    assert g and g.place.name == "孝陵卫街道" and g.alternatives == () and g.confidence > alone.confidence


def test_the_calibration_is_monotone_and_reads_between_its_knots() -> None:
    values = [calibrated(e / 100) for e in range(0, 101)]
    assert values == sorted(values) and values[0] == 0.0 and values[-1] == CALIBRATION[-1][1]
    (x0, y0), (x1, y1) = CALIBRATION[0], CALIBRATION[1]
    assert calibrated((x0 + x1) / 2) == round((y0 + y1) / 2, 3)


def test_guess_place_reads_the_database_tree(db, org) -> None:
    g = guess_place(db, address="南京市玄武区孝陵卫街道", text="")
    assert g and g.place.id == org.jurisdictions["xiaolingwei"].id


def test_a_full_name_written_outranks_a_shortened_one_found_in_a_road() -> None:
    """QA: "鼓楼区中山北路200号" was read as 中山社区 of 溧水区 (中山 cut from its name, found in the
    road's name), the 鼓楼区 written out only an alternative."""
    gaz = Gazetteer([*P, Place(8, "320117", "溧水区", "district", "/1/8/"),
                     Place(9, "320117001001", "中山社区", "community", "/1/8/9/")])
    g = gaz.guess(address="鼓楼区中山北路200号", text="路灯不亮")
    assert g and g.place.code == "320106" and g.contested and g.confidence <= CONTESTED
    assert [a.place.code for a in g.alternatives] == ["320117001001"]
    assert gaz.chain_name(g.alternatives[0].place) == "溧水区中山社区"  # where a community lies, said
    assert gaz.chain_name(g.place) == "鼓楼区"
