"""Dispute risk assessment: ``assess(text, *, people, vulnerable, history) -> RiskResult``.

Signals, each with a Chinese reason:

* phrases of the project's dispute-risk lexicon (``data/risk_lexicon.csv``: self-harm, threats of violence,
  gathering and blocking roads, petitioning upward, wage arrears, extreme emotion, vulnerable parties), extended
  or overridden by the admin-editable :class:`~fengqiao.triage.models.RiskTerm` rows (same phrase: the row wins;
  an inactive row removes the phrase). Matched in one pass with an Aho-Corasick automaton (pyahocorasick),
  built once per process and rebuilt when the terms change (at once in the process that saved them, within
  ``TRIAGE_RISK_CHECK_SECONDS`` (30 s) in the others);
* wage arrears near a holiday (春节, 年底, 中秋 …);
* an emotion score: exclamation marks, intensifiers, negative words;
* the number of people involved, vulnerable parties, and the person's earlier cases (``history``).

The score is the strongest category's weight, plus a quarter of every other category's, plus the other
signals, capped at 100: ``high`` from 70, ``medium`` from 40. A self-harm or violence phrase of weight 80 or
more is high on its own. It is a lexicon, not a model: it does not understand negation ("不会去上访" still
counts), which is why every result says which words it found.
"""

from __future__ import annotations

import csv
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ahocorasick

log = logging.getLogger(__name__)

LEXICON_FILE = Path(__file__).resolve().parent / "data" / "risk_lexicon.csv"
HIGH, MEDIUM = 70, 40
CATEGORY_NAMES = {
    "self_harm": "自伤自杀",
    "violence": "暴力威胁",
    "gathering": "聚集堵路",
    "petition": "越级上访",
    "wages": "欠薪讨薪",
    "extreme": "极端情绪",
    "vulnerable": "弱势群体",
    "other": "其他",
}
HOLIDAY = re.compile(r"春节|过年|年底|年关|年前|元旦|中秋|国庆|端午|腊月")
EXCLAIM = re.compile(r"[!！]")
# wage arrears phrased freely: "拖欠我们三十多个工人的工资", "两个月没发工资"
WAGE_ARREARS = re.compile(r"(拖欠|欠|不发|没发|没有发|不给|不付)[^，,。！!？?；;]{0,12}(工资|工钱|薪水|薪资|劳务费)")
WAGE_WEIGHT = 35
# Mass-incident wording phrased freely, which the fixed phrases miss: "扬言要去县政府门口讨说法",
# "准备集体到镇里上访", "一起去堵路". Each is (pattern, category, weight, what the reason calls it).
_CLAUSE = r"[^，,。！!？?；;]"
MASS_PATTERNS: list[tuple[re.Pattern[str], str, int]] = [
    # a threat or plan to go to a government office or higher up
    (
        re.compile(
            rf"(扬言|声称|威胁|准备|打算|商量|要|约好|相约){_CLAUSE}{{0,8}}(去|到|上|找){_CLAUSE}{{0,6}}"
            r"(政府|县委|镇里|县里|市里|省里|北京|信访|门口)"
        ),
        "gathering",
        60,
    ),
    # many people acting together
    (
        re.compile(rf"(集体|一起|一块儿?|大家|几十个人|全村){_CLAUSE}{{0,6}}(讨薪|上访|去|到|围|堵|闹|静坐|拉横幅)"),
        "gathering",
        60,
    ),
    (re.compile(r"拉横幅|静坐|围堵|堵(路|门|桥|厂门|大门|工地)"), "gathering", 60),
    # "讨说法": going to demand an answer in person
    (re.compile(r"讨(个)?说法|要(个)?说法|讨个公道|讨回公道"), "petition", 40),
]
INTENSIFIERS = ("非常", "特别", "极其", "实在", "太", "简直", "根本", "到底", "究竟", "一再", "再三", "多次", "反复")
NEGATIVE = (
    "愤怒",
    "气愤",
    "无法忍受",
    "受不了",
    "欺人太甚",
    "欺负",
    "心寒",
    "寒心",
    "冤",
    "没有天理",
    "天理何在",
    "无耻",
    "黑心",
    "骗子",
    "无赖",
    "不管不问",
    "推来推去",
    "踢皮球",
    "投诉无门",
    "求求",
    "哭",
)


@dataclass(frozen=True)
class Hit:
    phrase: str
    category: str
    weight: int
    start: int

    def as_dict(self) -> dict[str, Any]:
        return {"phrase": self.phrase, "category": self.category, "weight": self.weight, "start": self.start}


@dataclass
class RiskResult:
    level: str  # a fengqiao.cases.models.Risk value: low / medium / high
    score: float
    reasons: list[str]
    hits: list[Hit] = field(default_factory=list)
    emotion: float = 0.0
    categories: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "score": self.score,
            "reasons": list(self.reasons),
            "hits": [h.as_dict() for h in self.hits],
            "emotion": self.emotion,
            "categories": list(self.categories),
        }


# --------------------------------------------------------------------------------------------- lexicon


def load_lexicon_file(path: Path = LEXICON_FILE) -> dict[str, tuple[str, int]]:
    """phrase → (category, weight) from the shipped CSV."""
    terms: dict[str, tuple[str, int]] = {}
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            phrase = (row.get("phrase") or "").strip()
            if phrase:
                terms[phrase] = ((row.get("category") or "other").strip(), int(row.get("weight") or 10))
    return terms


def _db_terms() -> list[tuple[str, str, int, bool]]:
    """(phrase, category, weight, is_active) of the RiskTerm rows; empty without a usable database."""
    try:
        from fengqiao.triage.models import RiskTerm

        return [
            (str(p).strip(), str(c), int(w), bool(a))
            for p, c, w, a in RiskTerm.objects.values_list("phrase", "category", "weight", "is_active")
        ]
    except Exception:  # no database (plain scripts, tests without db): the shipped lexicon alone
        return []


def merged_terms(db_rows: list[tuple[str, str, int, bool]] | None = None) -> dict[str, tuple[str, int]]:
    terms = dict(file_terms())
    for phrase, category, weight, active in _db_terms() if db_rows is None else db_rows:
        if not phrase:
            continue
        if active:
            terms[phrase] = (category, weight)
        else:
            terms.pop(phrase, None)
    return terms


_file_cache: dict[str, dict[str, tuple[str, int]]] = {}


def file_terms() -> dict[str, tuple[str, int]]:
    got = _file_cache.get("terms")
    if got is None:
        got = _file_cache["terms"] = load_lexicon_file()
    return got


def build_automaton(terms: dict[str, tuple[str, int]]) -> Any:
    auto = ahocorasick.Automaton()
    for phrase, (category, weight) in terms.items():
        auto.add_word(phrase, (phrase, category, weight))
    if terms:
        auto.make_automaton()
    return auto


@dataclass
class _State:
    key: int = 0
    automaton: Any = None
    size: int = 0
    checked: float = -1e9


_state = _State()
_lock = threading.Lock()


def invalidate() -> None:
    """Rebuild the automaton on the next assessment (called when a RiskTerm is saved or deleted)."""
    _state.checked = -1e9
    _state.key = 0


def _automaton() -> Any:
    from django.conf import settings

    every = float(getattr(settings, "TRIAGE_RISK_CHECK_SECONDS", 30)) if settings.configured else 30.0
    now = time.monotonic()
    if _state.automaton is not None and now - _state.checked < every:
        return _state.automaton
    rows = _db_terms()
    key = hash(tuple(sorted(rows))) or 1
    if _state.automaton is None or key != _state.key:
        with _lock:
            terms = merged_terms(rows)
            _state.automaton = build_automaton(terms)
            _state.size = len(terms)
            _state.key = key
    _state.checked = now
    return _state.automaton


def find(text: str, automaton: Any = None) -> list[Hit]:
    """Lexicon phrases in ``text``; overlapping matches keep the longest phrase at each place."""
    auto = automaton if automaton is not None else _automaton()
    if not text or auto is None or len(auto) == 0:
        return []
    found: list[Hit] = []
    for end, (phrase, category, weight) in auto.iter(text):
        found.append(Hit(phrase, category, int(weight), end - len(phrase) + 1))
    # drop a phrase fully inside a longer one found at the same place (e.g. 上访 inside 集体上访)
    found.sort(key=lambda h: (h.start, -len(h.phrase)))
    kept: list[Hit] = []
    covered_to = -1
    for h in found:
        end = h.start + len(h.phrase)
        if end <= covered_to:
            continue
        kept.append(h)
        covered_to = max(covered_to, end)
    return kept


def _on_term_change(**kwargs: Any) -> None:
    invalidate()


try:  # rebuild at once in the process that edits the terms (admin); others re-check every 30 s
    from django.db.models.signals import post_delete, post_save

    post_save.connect(_on_term_change, sender="triage.RiskTerm", dispatch_uid="risk-term-saved")
    post_delete.connect(_on_term_change, sender="triage.RiskTerm", dispatch_uid="risk-term-deleted")
except Exception:  # pragma: no cover - Django not configured (plain scripts)
    log.debug("risk lexicon signals not connected")


# --------------------------------------------------------------------------------------------- scoring


def emotion_score(text: str) -> tuple[float, list[str]]:
    """0..1 from exclamation marks, intensifiers and negative words, with the words found."""
    marks = len(EXCLAIM.findall(text))
    words = [w for w in INTENSIFIERS if w in text]
    negative = [w for w in NEGATIVE if w in text]
    raw = min(marks, 6) * 0.08 + min(len(words), 4) * 0.05 + min(len(negative), 4) * 0.12
    return min(1.0, round(raw, 3)), negative + words


def assess(
    text: str, *, people: int = 1, vulnerable: bool = False, history: int = 0, automaton: Any = None
) -> RiskResult:
    """Risk level, score (0–100), Chinese reasons and the lexicon hits of a dispute's text."""
    text = text or ""
    hits = find(text, automaton)
    if not any(h.category == "wages" for h in hits):
        m = WAGE_ARREARS.search(text)
        if m:
            hits.append(Hit(m.group(0), "wages", WAGE_WEIGHT, m.start()))
    for pattern, category, weight in MASS_PATTERNS:
        m = pattern.search(text)
        if m and not any(h.start <= m.start() < h.start + len(h.phrase) and h.weight >= weight for h in hits):
            hits.append(Hit(m.group(0), category, weight, m.start()))
    reasons: list[str] = []
    best: dict[str, Hit] = {}
    for h in hits:
        if h.category not in best or h.weight > best[h.category].weight:
            best[h.category] = h
    ordered = sorted(best.values(), key=lambda h: -h.weight)
    score = 0.0
    if ordered:
        score = ordered[0].weight + 0.25 * sum(h.weight for h in ordered[1:])
        for h in ordered:
            same = [x.phrase for x in hits if x.category == h.category]
            shown = "、".join(dict.fromkeys(same))
            reasons.append(f"{CATEGORY_NAMES.get(h.category, h.category)}：“{shown}”")
    forced_high = any(h.category in {"self_harm", "violence"} and h.weight >= 80 for h in ordered)

    if "wages" in best:
        m = HOLIDAY.search(text)
        if m:
            score += 20
            reasons.append(f"节前欠薪（“{m.group(0)}”）")

    emotion, emo_words = emotion_score(text)
    if emotion >= 0.2:
        score += round(20 * emotion, 1)
        shown = "、".join(emo_words[:4])
        reasons.append(f"情绪激烈（情绪分 {emotion:.2f}{'：' + shown if shown else ''}）")

    people = max(1, int(people or 1))
    stated, phrase = people_in_text(text)
    if stated > people:
        people = stated
        reasons.append(f"文中提到涉及人数（“{phrase}”）")
    if people >= 30:
        score += 30
        reasons.append(f"涉及人数多（{people} 人），有群体性风险")
    elif people >= 10:
        score += 20
        reasons.append(f"涉及 {people} 人")
    elif people >= 5:
        score += 10
        reasons.append(f"涉及 {people} 人")

    if vulnerable:
        score += 10
        reasons.append("当事人含弱势群体")

    history = max(0, int(history or 0))
    if history >= 3:
        score += 15
        reasons.append(f"同一当事人此前已有 {history} 件案件（反复诉求）")
    elif history >= 1:
        score += 5
        reasons.append(f"同一当事人此前有 {history} 件案件")

    score = round(min(100.0, score), 1)
    level = "high" if forced_high or score >= HIGH else "medium" if score >= MEDIUM else "low"
    return RiskResult(
        level=level,
        score=score,
        reasons=reasons,
        hits=hits,
        emotion=emotion,
        categories=[h.category for h in ordered],
    )


# --- the number of people a text mentions -----------------------------------------------------

_DIGITS = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUMBER = r"(\d{1,5}|[一两二三四五六七八九十百几]{1,5}|上百|上千|数十|数百)"
_PEOPLE = re.compile(
    rf"(共|一共|总共|有|约|大约|近|将近|超过|上|我们|涉及)?{_NUMBER}(多|余|来)?(名|个|位|户|家|口|人)"
    r"(工人|农民工|村民|居民|业主|群众|住户|人家|家庭|租户|学员|员工|职工|人)?"
)
_WHOLE = re.compile(r"全村|全组|整个小区|全体业主|全体村民")


def chinese_number(token: str) -> int | None:
    """A count as written ("12", "十二", "二十", "十几", "几十", "上百"): its lower bound."""
    if token.isdigit():
        return int(token)
    fixed = {"上百": 100, "上千": 1000, "数十": 20, "数百": 200, "几十": 20, "十几": 11, "几": None}
    if token in fixed:
        return fixed[token]
    if "几" in token:  # "二十几", "三十几"
        base = chinese_number(token.replace("几", ""))
        return base + 1 if base else None
    total, current = 0, 0
    for ch in token:
        if ch in _DIGITS:
            current = _DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current or None


def people_in_text(text: str) -> tuple[int, str]:
    """The largest number of people (or households) the text mentions — "共12名工人", "十几户",
    "三十多个村民" — and the words it was read from; (0, "") when it names none. A household counts
    as one person (a lower bound). Numbers of other things ("三个月", "5000元") are not counted."""
    best, phrase = 0, ""
    for m in _PEOPLE.finditer(text or ""):
        unit, noun = m.group(4), m.group(5)
        if unit in ("个", "家") and not noun:  # "三个月", "两家公司" say nothing about people
            continue
        if unit == "口" and not m.group(1):  # "一口井"
            continue
        n = chinese_number(m.group(2))
        if n is not None and 2 <= n <= 100000 and n > best:
            best, phrase = n, m.group(0)
    whole = _WHOLE.search(text or "")
    if whole and best < 30:
        best, phrase = 30, whole.group(0)
    return best, phrase
