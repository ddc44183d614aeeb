"""The national gazetteer and the issuer rules of tasks/regions.py, on inline snippets."""

from __future__ import annotations

import pytest

from tasks.regions import COUNTRY_CODE, find_issuer, load_gazetteer, most_mentioned


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


def test_gazetteer_holds_every_province_and_the_country(gaz):
    provinces = [d for d in gaz.by_code.values() if d.level == "province"]
    # 31 mainland provinces, Hong Kong, Macao and Taiwan
    assert len(provinces) == 34
    assert gaz.by_code[COUNTRY_CODE].path == "全国"
    assert sum(d.level == "district_county" for d in gaz.by_code.values()) > 2800
    assert sum(d.level == "city" for d in gaz.by_code.values()) > 330


@pytest.mark.parametrize(
    "alias, code",
    [("浙江", "330000"), ("浙江省", "330000"), ("内蒙古", "150000"), ("内蒙古自治区", "150000"),
     ("广西", "450000"), ("广西壮族自治区", "450000"), ("路桥", "331004"), ("路桥区", "331004")],
)
def test_short_and_full_names_point_at_one_code(gaz, alias, code):
    assert {d.code for d in gaz.names[alias]} == {code}


def test_renamed_units_keep_their_years(gaz):
    old = [d for d in gaz.names["襄樊市"]]
    assert old[0].code == "420600" and old[0].valid_to == 2010
    assert gaz.by_code["420600"].name == "襄阳市"


def test_title_names_the_issuer():
    found = find_issuer("2026年内蒙古自治区政府工作报告", [], None, 2026)
    assert (found.region, found.code, found.reason) == ("内蒙古自治区", "150000", "title")


def test_a_year_between_name_and_report_is_skipped():
    found = find_issuer("贵阳市2025年政府工作报告", [], None, 2025)
    assert (found.region, found.code) == ("贵阳市", "520100")


def test_county_chain_in_title_gives_the_county_under_its_city():
    found = find_issuer("2022年台州市路桥区政府工作报告", [], None, 2022)
    assert (found.region, found.code) == ("台州市路桥区", "331004")


def test_dateline_names_the_issuer_when_the_title_does_not():
    head = ["——2026年1月27日在湖南省第十四届人民代表大会第四次会议上", "湖南省人民政府省长　王五"]
    found = find_issuer("政府工作报告", head, None, 2026)
    assert (found.region, found.code, found.reason) == ("湖南省", "430000", "dateline")


def test_undated_dateline_line_names_the_issuer():
    found = find_issuer("政府工作报告", ["在四川省第十四届人民代表大会第四次会议上"], None, 2026)
    assert (found.region, found.code, found.reason) == ("四川省", "510000", "dateline")


def test_a_quoted_session_is_not_a_dateline():
    head = ["习近平总书记在第十四届全国人民代表大会第一次会议上的重要讲话,为我们指明了方向。", "各位代表:"]
    assert find_issuer("政府工作报告", head, None, 2026) is None


def test_a_title_naming_the_state_council_is_not_its_report():
    found = find_issuer("湖南省人民政府关于贯彻国务院部署的实施意见", [], None, 2026)
    assert (found.region, found.reason) == ("湖南省", "title")


def test_national_people_s_congress_dateline_is_the_whole_country():
    head = ["——2018年3月5日在第十三届全国人民代表大会第一次会议上", "国务院总理 李克强"]
    found = find_issuer("政府工作报告", head, None, 2018)
    assert (found.region, found.code, found.reason) == ("全国", "100000", "dateline")


def test_speaker_post_names_the_issuer_last():
    found = find_issuer("政府工作报告", ["北碚区区长 张三", "各位代表:"], None, 2024)
    assert (found.region, found.code, found.reason) == ("重庆市北碚区", "500109", "speaker")


def test_a_post_inside_a_phrase_is_no_speaker_line():
    assert find_issuer("政府工作报告", ["（一）主动对接杭州市长三角一体化示范区建设"], None, 2024) is None


def test_shared_county_name_resolves_by_its_parent_mentions():
    head = ["——2025年1月6日在朝阳区第十六届人民代表大会第五次会议上", "过去一年,在北京市委、市政府的坚强领导下,全区上下…"]
    found = find_issuer("2025年朝阳区政府工作报告", head, None, 2025)
    assert (found.region, found.code) == ("北京市朝阳区", "110105")


def test_shared_county_name_without_parent_is_left_null_with_a_reason():
    found = find_issuer("2025年朝阳区政府工作报告", ["各位代表:"], None, 2025)
    assert found.region is None and found.code is None
    assert found.reason.startswith("ambiguous:朝阳区(") and "110105" in found.reason and "220104" in found.reason


def test_former_name_is_used_in_its_years():
    found = find_issuer("2009年襄樊市政府工作报告", [], None, 2009)
    assert (found.region, found.code) == ("襄樊市", "420600")


def test_mentions_never_pick_a_tie_or_a_single_mention():
    assert most_mentioned("", "安徽省和江西省都……") is None
    found = most_mentioned("", "湖州市……湖州市……嘉兴市")
    assert (found.region, found.code, found.reason) == ("湖州市", "330500", "mentions")
