"""Ingest on the real seeds and on crafted bad or re-encoded inputs."""

from __future__ import annotations

import shutil
from datetime import date

import pandas as pd
import pytest

from tasks import reasons
from tasks.ingest import decode_bytes, DecodeError, detect_layout, ingest_folder, split_listing_body, split_tag

CHROME = [
    # forum
    "TA的每日心情", "签到天数", "您需要登录后才可以回帖", "Powered by", "本版积分规则", "客服中心", "显示全部楼层",
    "设为首页", "[复制链接]", "积分\n", "[LV.9]", "Rank: 7",
    # portal
    "索引号", "公开方式", "发布机构", "访问次数", "信息来源", "打印本页", "关闭窗口", "点击下载pdf软件",
    # listing footer
    "有想补充的信息", "联系我们", "点我投稿",
]


def doc_by_title(docs, fragment):
    rows = docs[docs.title.str.contains(fragment, regex=False)]
    assert len(rows) == 1, f"{fragment!r} matched {len(rows)} documents"
    return rows.iloc[0]


def test_seeds_give_fourteen_documents_and_no_quarantine(seed_ingest):
    assert len(seed_ingest.documents) == 14
    assert seed_ingest.quarantine.empty
    assert seed_ingest.documents.doc_id.is_unique


@pytest.mark.parametrize(
    "title, doc_type, region, year",
    [
        ("路桥:解放思想变革破局,再创发展新辉煌", "party_congress", "台州市路桥区", 2021),
        ("聚焦高质发展 奋进“三大目标” 全力谱写中国式现代化路桥新篇章", "party_congress", "台州市路桥区", 2025),
        ("2022年台州市路桥区政府工作报告", "gov_work_report", "台州市路桥区", 2022),
        ("台州市路桥区国民经济和社会发展第十四个五年规划和二〇三五年远景目标纲要", "five_year_plan", "台州市路桥区", 2021),
        ("2018年温州市瓯海区政府工作报告", "gov_work_report", "温州市瓯海区", 2018),
        ("2018年庆元县政府工作报告", "gov_work_report", "丽水市庆元县", 2018),
        ("2018年衢州市政府工作报告", "gov_work_report", "衢州市", 2018),
        ("浙江援疆项目集中开工 总投资65亿助力阿克苏发展", "news", "阿克苏地区", 2018),
        ("防疫招商双线攻坚 苏州工业园区投资合作局筑牢发展根基", "news", "苏州市苏州工业园区", 2020),
        ("宁波保税区庆达西增资扩产项目开工 外资加码制造业升级", "news", "宁波市宁波保税区", 2019),
    ],
)
def test_seed_documents_have_title_type_region_and_year(seed_ingest, title, doc_type, region, year):
    doc = doc_by_title(seed_ingest.documents, title)
    assert doc.title == title
    assert (doc.doc_type, doc.region, doc.year) == (doc_type, region, year)


def test_listing_page_splits_into_ten_records_with_tags_and_crawl_dates(seed_ingest):
    docs = seed_ingest.documents
    listing = docs[docs.source_layout == "listing"]
    assert len(listing) == 10
    assert list(listing.source_ordinal) == list(range(10))
    assert set(listing.crawl_date) == {date(2025, 7, 16)}
    assert not listing.title.str.contains("【").any()
    assert doc_by_title(docs, "瓯海区政府工作报告").tag == "投资瓯海区"
    assert (listing.doc_type == "gov_work_report").sum() == 3


def test_luqiao_2022_report_carries_date_and_speaker(seed_ingest):
    doc = doc_by_title(seed_ingest.documents, "2022年台州市路桥区政府工作报告")
    assert doc.event_date == date(2022, 2, 18)
    assert (doc.speaker, doc.speaker_title) == ("牟傲野", "区长")
    assert doc.tag == "浙江"


def test_listing_reports_carry_speakers(seed_ingest):
    docs = seed_ingest.documents
    assert doc_by_title(docs, "2018年衢州市政府工作报告")[["speaker", "speaker_title"]].tolist() == ["汤飞帆", "代市长"]
    assert doc_by_title(docs, "2018年庆元县政府工作报告")[["speaker", "speaker_title"]].tolist() == ["胡献如", "县长"]
    assert doc_by_title(docs, "2018年温州市瓯海区政府工作报告").event_date == date(2018, 2, 26)


def test_portal_metadata_becomes_fields(seed_ingest):
    doc = doc_by_title(seed_ingest.documents, "第十四个五年规划")
    assert doc.publish_date == date(2023, 6, 19)
    assert doc.publisher == "区发改局"
    assert doc.source_layout == "portal"


def test_no_chrome_string_survives_in_any_paragraph(seed_ingest):
    # chrome lines stand alone; words like 积分 also occur inside real sentences
    text = "\n".join(seed_ingest.paragraphs.text) + "\n"
    found = [c for c in CHROME if c in text]
    assert found == []


def test_newspaper_captions_and_bylines_are_not_body(seed_ingest):
    paras = seed_ingest.paragraphs
    kind_of = dict(zip(paras.text, paras.kind))
    assert kind_of["路桥城区全景图"] == "caption"
    assert kind_of["十里长街夜色"] == "caption"
    assert kind_of["本报记者黄方考整理 路桥区委宣传部供图"] == "byline"
    assert kind_of["台州日报社葛佳宁整理 路桥区委宣传部供图"] == "byline"
    # a body line cut by the page layout is not mistaken for a heading
    assert kind_of["推进全域整治。严格落实永久基本农田和"] == "body"


def test_plan_tables_are_kept_whole_as_table_paragraphs(seed_ingest):
    tables = seed_ingest.paragraphs[seed_ingest.paragraphs.kind == "table"]
    assert len(tables) == 2
    first, second = (t.split("\n") for t in tables.text)
    assert "十三五" in first[0] and first[1:4] == ["类别", "序号", "指标名称"]
    assert second[0].startswith("表2") and second[-1] == "约束性"


def test_listing_bodies_are_split_into_headed_paragraphs(seed_ingest):
    docs, paras = seed_ingest.documents, seed_ingest.paragraphs
    doc_id = doc_by_title(docs, "2018年温州市瓯海区政府工作报告").doc_id
    mine = paras[paras.doc_id == doc_id]
    assert mine.text.str.len().max() < 2000
    headings = mine[mine.kind == "heading"].text.tolist()
    assert "一、2017年工作回顾" in headings
    assert any(h.startswith("(一)经济发展新旧动能双轮驱动") for h in headings)
    assert mine[mine.kind == "body"].section.str.contains("(一)经济发展新旧动能双轮驱动", regex=False).any()


def test_sections_follow_the_heading_outline(seed_ingest):
    paras = seed_ingest.paragraphs
    hit = paras[paras.text.str.startswith("加快科创步伐。")]
    assert len(hit) == 1
    assert hit.iloc[0].section == "三、2022年重点工作 > (一)坚持工业主导,全力推进动能转换"


def test_split_tag_removes_category_prefix():
    assert split_tag("【投资衢州】2018年衢州市政府工作报告") == ("2018年衢州市政府工作报告", "投资衢州")
    assert split_tag("没有前缀的标题") == ("没有前缀的标题", None)


def test_split_listing_body_keeps_every_character_of_text():
    body = "各位代表:现在我作报告。 一、2017年工作回顾一年来,成绩很大。瓯海实力增强了。 (一)经济发展稳中向好1.产业升级。传统产业提升。2.平台建设。园区建成投用。"
    paras = split_listing_body(body, target_chars=50)
    joined = "".join(p.text for p in paras)
    assert joined == body.replace(" ", "")
    kinds = [(p.kind, p.text) for p in paras]
    assert ("heading", "一、2017年工作回顾") in kinds
    assert ("heading", "(一)经济发展稳中向好") in kinds


# --- bad and re-encoded inputs --------------------------------------------------------


@pytest.fixture()
def one_seed(tmp_path, seeds_dir):
    def make(name: str, data: bytes):
        (tmp_path / name).write_bytes(data)
        return tmp_path

    return make


def test_empty_file_is_quarantined(tmp_path, seeds_dir):
    shutil.copy(seeds_dir / "000_9b968599ca7dc8f3.txt", tmp_path / "good.txt")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_bytes(b"\n \n\t\n")
    result = ingest_folder(tmp_path)
    q = dict(zip(result.quarantine.source_file, result.quarantine.reason))
    assert q == {"empty.txt": reasons.EMPTY_FILE, "blank.txt": reasons.EMPTY_FILE}
    assert len(result.documents) == 1


def test_binary_file_is_quarantined_and_run_goes_on(tmp_path, seeds_dir):
    shutil.copy(seeds_dir / "002_c5a084ca59368fdc.txt", tmp_path / "good.txt")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)
    result = ingest_folder(tmp_path)
    row = result.quarantine.set_index("source_file").loc["image.png"]
    assert row.reason == reasons.BINARY_FILE
    assert row.detail
    assert len(result.documents) == 1


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-16", "utf-8-sig"])
def test_re_encoded_seed_gives_the_same_documents(tmp_path, seeds_dir, encoding):
    text = (seeds_dir / "002_c5a084ca59368fdc.txt").read_text(encoding="utf-8")
    # GBK cannot encode a few characters of the file (U+FFFD, bullets): drop them
    if encoding == "gbk":
        text = text.encode("gbk", errors="ignore").decode("gbk")
    (tmp_path / "renamed.txt").write_bytes(text.encode(encoding))
    (tmp_path / "orig").mkdir()
    (tmp_path / "orig" / "x.txt").write_text(text, encoding="utf-8")
    res = ingest_folder(tmp_path)
    assert res.quarantine.empty
    docs = res.documents.set_index("source_file")
    assert docs.loc["renamed.txt"].title == docs.loc["orig/x.txt"].title == "2022年台州市路桥区政府工作报告"
    assert docs.loc["renamed.txt"].encoding.replace("_", "-").lower().startswith(encoding[:5].lower()) or encoding == "gbk"
    a = res.paragraphs[res.paragraphs.doc_id == docs.loc["renamed.txt"].doc_id].text.tolist()
    b = res.paragraphs[res.paragraphs.doc_id == docs.loc["orig/x.txt"].doc_id].text.tolist()
    assert a == b
    # same text in two files: both rows kept with distinct ids; dedup flags the later one
    assert docs.loc["renamed.txt"].doc_id != docs.loc["orig/x.txt"].doc_id


def test_byte_identical_copy_under_another_name_is_quarantined_once(tmp_path, seeds_dir):
    shutil.copy(seeds_dir / "001_1e31c7665ded58fb.txt", tmp_path / "a.txt")
    shutil.copy(seeds_dir / "001_1e31c7665ded58fb.txt", tmp_path / "b_copy.txt")
    res = ingest_folder(tmp_path)
    assert len(res.documents) == 1
    assert res.quarantine.reason.tolist() == [reasons.DUPLICATE_FILE]
    assert "a.txt" in res.quarantine.detail.iloc[0]


def test_truncated_utf8_keeps_the_text_and_records_the_cut(tmp_path, seeds_dir):
    raw = (seeds_dir / "000_9b968599ca7dc8f3.txt").read_bytes().rstrip() + "结尾".encode()[:-1]
    (tmp_path / "cut.txt").write_bytes(raw)
    res = ingest_folder(tmp_path)
    assert len(res.documents) == 1
    assert res.quarantine.reason.tolist() == [reasons.TRUNCATED_ENCODING]


def test_file_of_only_site_chrome_gives_no_document(tmp_path):
    chrome = "索引号: 1133/2023 公开方式: 主动公开\n发布机构: 区发改局 公开日期: 2023-06-19\n发布日期:2023-06-19 访问次数:\n信息来源: 路桥区政府\n打印本页 关闭窗口\n"
    (tmp_path / "chrome.txt").write_text(chrome, encoding="utf-8")
    res = ingest_folder(tmp_path)
    assert res.documents.empty
    assert res.quarantine.reason.tolist() == [reasons.NO_DOCUMENT_TEXT]


def test_listing_record_without_body_is_quarantined_others_kept(tmp_path):
    page = "-\n【投资A区】2018年A区政府工作报告\n" + "正文第一句。" * 30 + "\n2025-07-16\n-\n只有标题没有正文\n2025-07-16\n-\n第三篇\n" + "第三篇正文。" * 30 + "\n2025-07-16\n"
    (tmp_path / "listing.txt").write_text(page, encoding="utf-8")
    res = ingest_folder(tmp_path)
    assert len(res.documents) == 2
    assert res.quarantine.reason.tolist() == [reasons.MALFORMED_LISTING_RECORD]


def test_decode_bytes_rejects_garbage_with_a_reason():
    with pytest.raises(DecodeError) as err:
        decode_bytes(bytes([0x80, 0xFF, 0xFE, 0x81] * 500))
    assert err.value.reason in (reasons.UNDECODABLE, reasons.BINARY_FILE)


def test_same_input_gives_identical_rows(seeds_dir):
    a, b = ingest_folder(seeds_dir), ingest_folder(seeds_dir)
    assert a.documents.equals(b.documents)
    assert a.paragraphs.equals(b.paragraphs)


def test_one_and_two_workers_give_the_same_rows_around_a_skipped_duplicate_file(tmp_path, seeds_dir):
    seeds = sorted(seeds_dir.glob("*.txt"))
    for i, seed in enumerate(seeds):
        shutil.copy(seed, tmp_path / f"{i}.txt")
    # a byte-identical copy between the others: its paragraphs are read, then left out
    shutil.copy(seeds[1], tmp_path / "1a.txt")
    one, two = ingest_folder(tmp_path, workers=1), ingest_folder(tmp_path, workers=2)
    for a, b in ((one.documents, two.documents), (one.paragraphs, two.paragraphs), (one.quarantine, two.quarantine)):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    alone = ingest_folder(seeds_dir)
    pd.testing.assert_frame_equal(one.paragraphs, alone.paragraphs, check_exact=True)
    assert one.quarantine.reason.tolist() == [reasons.DUPLICATE_FILE]
    # the columns are typed as pandas types a table of str rows
    by_rows = pd.DataFrame(list(alone.paragraphs.itertuples(index=False, name=None)), columns=alone.paragraphs.columns)
    assert one.paragraphs.dtypes.equals(by_rows.dtypes)
    assert one.paragraphs.groupby("doc_id", sort=False).para_id.apply(list).map(lambda ids: ids == list(range(len(ids)))).all()


def test_folder_of_only_bad_files_gives_empty_paragraphs_with_their_columns(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    res = ingest_folder(tmp_path, workers=2)
    assert res.paragraphs.empty and res.paragraphs.columns.tolist() == ["doc_id", "para_id", "kind", "section", "text"]


def test_portal_markers_in_the_last_lines_of_a_long_page_count():
    lines = ["正文第%d段。" % i for i in range(100)] + ["索引号: 1", "发布机构: 区政府", "打印本页 关闭窗口"]
    assert detect_layout(lines) == "portal"
    assert detect_layout(lines[-50:]) == "portal"


@pytest.mark.parametrize("line", ["本报记者 张三 整理", "通讯员 李四 报道", "路桥区委宣传部供图"])
def test_a_news_byline_makes_a_newspaper(line):
    assert detect_layout(["标题", "", line, "正文。"]) == "newspaper"


def test_byline_needs_a_credit_not_just_a_final_photo_character():
    from tasks.ingest import is_byline

    assert is_byline("本报记者黄方考整理 路桥区委宣传部供图")
    assert is_byline("通讯员 王小明 摄")
    assert not is_byline("金清镇黄礁村的海岸线变得更加平摄")


def test_a_county_page_with_literal_line_break_escapes_counters_and_lost_spaces_gives_clean_paragraphs(tmp_path):
    """A page body copied out of a JSON string: '\\r\\n' as text, '??' for lost spaces, a page counter '0'."""
    from tasks.clean import REPAIR_DROP_NO_TEXT, clean_paragraphs

    body = ("2024年某县政府工作报告\\r\\n??各位代表：\\r\\n??现在，我代表县人民政府向大会报告工作，请予审议。\\r\\n"
            "??过去一年，全县地区生产总值增长6.1%。\\r\\n0\\r\\n")
    (tmp_path / "county.txt").write_text(body, encoding="utf-8")
    result = ingest_folder(tmp_path)
    texts = result.paragraphs["text"].tolist()
    assert not any("\\r\\n" in t for t in texts)
    assert result.documents["title"].tolist() == ["2024年某县政府工作报告"]
    cleaned = clean_paragraphs(result.paragraphs)
    kept = cleaned.paragraphs["text"].tolist()
    assert any(t.startswith("现在，我代表县人民政府") for t in kept)
    assert "0" not in kept and not any("??" in t for t in kept)
    assert (cleaned.repairs["repair"] == REPAIR_DROP_NO_TEXT).sum() == 1


# --- full-width punctuation: real reports write ，；：！？（）, the seeds happen to write ASCII -------

FULL_WIDTH = str.maketrans(",;:!?()", "，；：！？（）")


@pytest.mark.parametrize("width", ["ascii", "full"])
def test_line_types_do_not_depend_on_punctuation_width(width):
    from tasks.ingest import classify_lines

    lines = [
        "(一)继续加强农业,保持农业生产稳步发展。",  # numbered sub-heading (family: (一) outline marks)
        "各位代表!",  # salutation: ends a sentence, not a heading
        "一年来,我们主要做了以下工作:",  # lead-in to a list
        "工业部门为二百四十八亿五千万元,占百分之五十八点二;",  # list item cut at a semicolon
        "推进全域整治,",  # a line cut at a comma
        "深化国有企业改革",  # an unnumbered short heading
    ]
    if width == "full":
        lines = [line.translate(FULL_WIDTH) for line in lines]
        assert "（一）" in lines[0] and lines[1].endswith("！")
    paras = classify_lines(lines, captions=False)
    assert [(p.kind, p.level) for p in paras] == [
        ("heading", 2), ("body", None), ("body", None), ("body", None), ("body", None), ("heading", 1)]


def test_statecouncil_outline_sub_headings_are_headings():
    from conftest import STATECOUNCIL

    if not STATECOUNCIL.is_dir():
        pytest.skip(f"no development corpus at {STATECOUNCIL}")
    paras = ingest_folder(STATECOUNCIL, only={"2009.txt"}).paragraphs
    marked = paras[paras.text.str.match(r"^（[一二三四五六七八九十]+）")]
    # the 2009 report's sub-headings are written （一）… with full-width brackets
    assert len(marked) >= 8
    assert (marked.kind == "heading").all()
    salutations = paras[paras.text.str.fullmatch(r"各位代表[！：]")]
    assert len(salutations) >= 1 and (salutations.kind == "body").all()


@pytest.mark.parametrize("raw, written", [
    ("——１９９０年３月２０日在第七届", "——1990年3月20日在第七届"),
    ("1 9 9 8 年3 月5 日在", "1998年3月5日在"),
    ("二〇二六年一月二十七日", "2026年1月27日"),
    # spaces that are not inside a date stay
    ("共 3 项 2025 年 a 1", "共 3 项 2025年 a 1"),
])
def test_dates_are_written_in_ascii_digits(raw, written):
    from tasks.ingest import _normalize_dates

    assert _normalize_dates(raw) == written


@pytest.mark.parametrize("raw, written", [
    # a date in Chinese numerals after other years, and text holding none at all
    ("2025年工作总结,二〇二六年一月召开", "2025年工作总结,2026年1月召开"),
    ("全年增长5.2%,好于预期", "全年增长5.2%,好于预期"),
])
def test_dates_in_running_text_are_written_in_ascii_digits(raw, written):
    from tasks.ingest import _normalize_dates

    assert _normalize_dates(raw) == written


# --- the patterns of the line rules, tried as one regex or behind substring tests ---------------------


@pytest.mark.parametrize("line, level", [
    ("## 标题", 2), ("###### 六级", 6), ("####### 七个井号", None), ("#没有空格", None),
    ("第三章 总则", 1), ("一、总体要求", 1), ("(一)加强", 2), ("（一）加强", 2),
    ("1.推进", 3), ("12、推进", 3), ("1.5亿元增长", None), ("123.不是", None), ("第一届人民代表大会", None),
])
def test_heading_level_is_the_level_of_the_first_pattern_that_matches(line, level):
    from tasks.ingest import heading_level

    assert heading_level(line) == level


def test_layout_markers_count_in_head_or_tail_and_stop_once_the_answer_is_known():
    from itertools import product

    from tasks.ingest import _holds_markers

    markers = ("甲", "乙", "丙", "丁", "戊")
    for places in product(("", "head", "tail", "both"), repeat=len(markers)):
        head = "".join(m for m, p in zip(markers, places) if p in ("head", "both"))
        tail = "".join(m for m, p in zip(markers, places) if p in ("tail", "both"))
        found = sum(p != "" for p in places)
        for need in (1, 2, 3, 5):
            assert _holds_markers(markers, head, tail, need) == (found >= need), (places, need)


def test_paragraph_text_column_equals_pyarrows_own_conversion():
    import pyarrow as pa

    from tasks.parquet import large_string_array

    for values in (["", "正文。", "表1 主要指标\n地区生产总值\n5.2%", "𠀀 astral and ascii", ""], [], [""]):
        built = large_string_array(values)
        built.validate(full=True)
        assert built.equals(pa.array(values, type=pa.large_string()))


@pytest.mark.parametrize("title, text", [
    ("路桥区2024年政府工作报告", "台州市路桥区人民政府。路桥新城。台州市。"),
    ("", "台州市召开会议,路桥区路桥街道"),
])
def test_a_district_mentioned_as_often_as_its_city_is_the_region(title, text):
    from tasks.ingest import detect_region, load_regions

    assert detect_region(title, text, load_regions()) == "台州市路桥区"


def test_speaker_lines_are_found_behind_their_substring_tests():
    from tasks.ingest import _Para, infer_speaker

    dateline = _Para("byline", "2022年2月18日在台州市路桥区第十八届人民代表大会第一次会议上 区长 牟傲野")
    assert infer_speaker([_Para("heading", "政府工作报告"), dateline]) == ("牟傲野", "区长")
    inline = _Para("body", "台州市路桥区人民政府区长张三各位代表:")
    assert infer_speaker([inline]) == ("张三", "区长")
    caption = _Para("caption", "国务院总理李克强作政府工作报告")
    assert infer_speaker([_Para("heading", "政府工作报告"), caption]) == ("李克强", "总理")
