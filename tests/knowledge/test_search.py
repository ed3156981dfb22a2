"""Retrieval on a small fixed corpus (no database): rankings, field boosts, explanations, filters."""

from __future__ import annotations

from fengqiao.knowledge import search
from fengqiao.knowledge.search import Doc

CORPUS = [
    (
        "wages",
        "老板拖欠工资怎么办",
        "欠薪 讨薪 劳动报酬",
        "被拖欠工资可以向劳动保障监察投诉，也可以申请劳动仲裁。",
        ("0701",),
        ("D05",),
        True,
    ),
    (
        "injury",
        "上班受伤怎么认定工伤",
        "工伤 工伤认定",
        "用人单位应在三十日内申请工伤认定，单位不申请的本人可以在一年内申请。",
        ("0702",),
        ("D05",),
        True,
    ),
    (
        "noise",
        "邻居吵闹怎么办",
        "噪音 扰民 广场舞",
        "生活噪声扰民可以请物业社区协调，劝阻无效可以报警。",
        ("0202",),
        ("D02",),
        True,
    ),
    (
        "leak",
        "楼上漏水谁来赔",
        "漏水 渗水",
        "楼上住户的管道出了问题应当维修并赔偿，公共管道找物业。工资不受影响。",
        ("0203",),
        (),
        True,
    ),
    (
        "staffonly",
        "接待来访群众的要求",
        "接待 首问负责",
        "首问负责，先听完再答复，工资问题引导到劳动监察。",
        ("1601",),
        (),
        False,
    ),
]


def index() -> search.Index:
    rows = []
    for i, (slug, title, keywords, body, cats, doms, public) in enumerate(CORPUS):
        doc = Doc(f"a:{slug}", i + 1, slug, title, "faq", "", public, cats, doms)
        rows.append((doc, {"title": title, "keywords": keywords, "summary": "", "body": body}))
    return search.build(rows, "test")


def slugs(hits: list[search.Hit]) -> list[str]:
    return [h.doc.slug for h in hits]


def test_expected_rankings() -> None:
    idx = index()
    assert slugs(idx.search("老板一直拖欠我工资", k=3))[0] == "wages"
    assert slugs(idx.search("干活时受伤了算不算工伤", k=3))[0] == "injury"
    assert slugs(idx.search("楼上漏水把我家泡了", k=3))[0] == "leak"
    assert slugs(idx.search("晚上广场舞太吵", k=3))[0] == "noise"


def test_title_and_keywords_weigh_more_than_body() -> None:
    # "工资" is in the title of "wages" and only in the body of "leak": the title wins by a margin.
    hits = index().search("工资", k=5)
    assert slugs(hits)[0] == "wages"
    assert "leak" in slugs(hits)
    assert hits[0].score > 2 * next(h.score for h in hits if h.doc.slug == "leak")


def test_explanation_names_the_matched_words() -> None:
    hit = index().search("老板拖欠工资", k=1)[0]
    assert {"拖欠", "工资"} <= set(hit.matched)
    assert hit.coverage > 0.5


def test_synonyms_expand_plain_words() -> None:
    # "包工头" is in no document; it expands to "欠薪", which only the keywords of "wages" hold.
    hit = index().search("包工头", k=3)
    assert slugs(hit) == ["wages"]
    assert "欠薪" in hit[0].matched


def test_staff_only_articles_are_left_out_for_the_public() -> None:
    idx = index()
    assert "staffonly" not in slugs(idx.search("首问负责 接待", k=5))
    assert slugs(idx.search("首问负责 接待", k=5, public_only=False))[0] == "staffonly"


def test_unrelated_question_finds_nothing_or_low_coverage() -> None:
    idx = index()
    assert idx.search("外星人入侵地球", k=3) == []
    hits = idx.search("月球上的房子漏水吗", k=3)
    assert hits and hits[0].coverage < 0.5


def test_empty_corpus_and_empty_question() -> None:
    empty = search.build([], "x")
    assert empty.search("工资", k=3) == []
    assert index().search("", k=3) == []
    assert index().search("的 了 吗", k=3) == []
