"""案例库 from mediated cases: a successful mediation is proposed as an exemplary case (by its team's
mediator, its handler or a leader), anonymised here, then reviewed, edited and approved by the county
editors in the knowledge base's library (its actions, its BM25 index). The knowledge base stands above
mediation: it reads the sessions and records the proposal on the case's mediation timeline
(``mediation.library_propose``); mediation imports nothing of it.

:func:`anonymise` removes the parties' names, phone numbers, ID numbers and addresses (and the case's
own address) from the text, then the knowledge base's own scrubber takes whatever else looks personal
(other phone or ID numbers, house numbers, "王某某"-style names, figures). Parties become 申请人甲,
被申请人乙 …; amounts become 若干元, dates 某日."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from fengqiao.cases.actions import ActionForbidden, Actor, InvalidTransition
from fengqiao.cases.choices import PartyKind, PartyRole
from fengqiao.cases.models import Case, Category, Domain
from fengqiao.cases.policy import grant_for
from fengqiao.cases.workflow import State
from fengqiao.knowledge import actions as knowledge_actions
from fengqiao.knowledge import search as knowledge_search
from fengqiao.knowledge.models import ExemplaryCase
from fengqiao.knowledge.redact import scrub
from fengqiao.mediation import events
from fengqiao.mediation.models import MediationSession

#: a case that ended in a successful mediation may be proposed
PROPOSABLE = frozenset({State.RESOLVED, State.CLOSED, State.ARCHIVED})
ORDINALS = "甲乙丙丁戊己庚辛壬癸"
AMOUNT = re.compile(r"(?:人民币)?\s*\d[\d,，.]*\s*(万?元)")
DATE = re.compile(r"\d{2,4}\s*年(?:\s*\d{1,2}\s*月)?(?:\s*\d{1,2}\s*[日号])?|\d{1,2}\s*月\s*\d{1,2}\s*[日号]")


def _labels(case: Case) -> list[tuple[str, str]]:
    """(text to remove, what to write instead) for every party, longest first."""
    out: list[tuple[str, str]] = []
    counts: dict[str, int] = {}
    for p in case.parties.order_by("role", "pk"):
        role = str(PartyRole(p.role).label) if p.role in PartyRole.values else "当事人"
        n = counts.get(role, 0)
        counts[role] = n + 1
        label = f"{role}{ORDINALS[n % len(ORDINALS)]}"
        name = (p.name or "").strip()
        if name:
            out += [(name, label), (f"{role}{name}", label), (f"当事人{name}", label)]
            if p.kind == PartyKind.PERSON and len(name) >= 3:
                out.append((name[1:], label))  # the given name alone ("小明")
        for value in (p.phone, p.id_number):
            if value:
                out.append((value, ""))
        if p.address:
            out.append((p.address.strip(), "某地"))
    if case.address_text:
        out.append((case.address_text.strip(), "某地"))
    return sorted((x for x in out if x[0]), key=lambda x: -len(x[0]))


# Placeholders while the scrubber runs: private-use characters that none of its patterns touch (a
# written "王某" or "于某日" would be taken for a name and removed).
_TOKEN = 0xE000
EMPTY_LABEL = re.compile(
    r"[（(][\s，,、:：]*(?:(?:联系)?电话|手机号?码?|身份证号?码?|证件号码?)?(?:[\s，,、:：]*(?:(?:联系)?电话|手机号?码?|身份证号?码?|证件号码?))*[\s，,、:：]*[）)]"
)


def anonymise_text(text: str, labels: list[tuple[str, str]]) -> str:
    words: list[str] = []

    def token(word: str) -> str:
        words.append(word)
        return chr(_TOKEN + len(words) - 1)

    for value, label in labels:
        if value in text:
            text = text.replace(value, token(label))
    text = AMOUNT.sub(lambda m: token("若干" + m.group(1)), text)
    text = DATE.sub(lambda m: token("某日"), text)
    text = scrub(text)
    for i, word in enumerate(words):
        text = text.replace(chr(_TOKEN + i), word)
    text = EMPTY_LABEL.sub("", text)  # "（电话，身份证）" left without their numbers
    text = re.sub(r"[ \t\u3000]{2,}", " ", text)
    return re.sub(r" ?([，。；：、（）]) ?", r"\1", text).strip()


def anonymise(case: Case) -> dict[str, Any]:
    """A draft library entry for ``case``, without personal data (written in Chinese, whatever the
    language of the request)."""
    with translation.override("zh-hans"):
        labels = _labels(case)
    sessions = MediationSession.objects.filter(case=case).order_by("held_at")
    notes = [s.notes for s in sessions if s.notes][:4]
    resolution = "\n".join([*notes, case.result_summary or ""]).strip()
    cat = case.category if case.category and case.category.parent_id else None
    return {
        "title": anonymise_text(case.title, labels)[:100],
        "facts": anonymise_text(case.description, labels)[:5000],
        "resolution": anonymise_text(resolution or "经调解，双方达成一致。", labels)[:5000],
        "takeaway": "",
        "keywords": " ".join(x for x in (cat.name if cat else "", case.domain.name if case.domain else "") if x),
        "category": cat.code if cat else "",
        "source_case": case,
    }


def may_propose(user: Any, case: Case) -> bool:
    """The case's team mediators, handlers, dispatchers and leaders who may write on it (the ``note`` grant)."""
    return case.state in PROPOSABLE and not case.referral and grant_for(user, "note", case) is not None


def proposed(case: Case) -> ExemplaryCase | None:
    return ExemplaryCase.objects.filter(source_case=case).order_by("-pk").first()


def propose(user: Any, case: Case, reason: str = "", *, via: str = "web") -> ExemplaryCase:
    """Propose ``case`` for the library: an anonymised draft entry waiting for a county editor's review."""
    with transaction.atomic():
        c = Case.objects.select_for_update(of=("self",)).get(pk=case.pk)
        if c.state not in PROPOSABLE or c.referral:
            raise InvalidTransition(_("只有调解成功并已化解的案件可以推荐入案例库。"))
        g = grant_for(user, "note", c)
        if g is None:
            raise ActionForbidden(_("您没有对该案件执行此操作的权限。"))
        if proposed(c) is not None:
            raise InvalidTransition(_("该案件已推荐入案例库。"))
        who = getattr(user, "display_name", "") or user.get_username()
        entry = knowledge_actions.save_exemplary(Actor.system(f"{_('调解推荐')}：{who}"), None, anonymise(c))
        events.record(
            c,
            "mediation.library_propose",
            user=user,
            role=g.role,
            unit=g.unit,
            via=via,
            reason=str(reason or "")[:500],
            data={"exemplary": entry.pk},
        )
    return entry


def similar(case: Case, k: int = 3) -> list[dict[str, Any]]:
    """Approved library entries like this case (BM25 over title, keywords and text), its own left out."""
    _articles, library = knowledge_search.indexes()
    hits = library.search(f"{case.title} {case.description}", k + 1)
    out = []
    own = proposed(case)
    for h in hits:
        if own is not None and h.doc.pk == own.pk:
            continue
        out.append({"pk": h.doc.pk, "title": h.doc.title, "takeaway": h.doc.summary, "matched": h.matched})
    return out[:k]


def search_library(query: str, category: str = "", domain: str = "", limit: int = 30) -> list[ExemplaryCase]:
    """Approved entries: best BM25 matches for ``query`` (or the newest), of a dispute type (a level-1 type
    covers its level-2 types) and of a domain (the source case's)."""
    qs = ExemplaryCase.objects.approved().select_related("category", "source_case__domain")
    if category:
        cat = Category.objects.filter(code=category).first()
        qs = qs.filter(category__parent=cat) | qs.filter(category=cat) if cat else qs.none()
    if domain:
        dom = Domain.objects.filter(code=domain).first()
        qs = qs.filter(source_case__domain=dom) if dom else qs.none()
    query = query.strip()[:100]
    if not query:
        return list(qs.order_by("-approved_at")[:limit])
    _articles, library = knowledge_search.indexes()
    order = [h.doc.pk for h in library.search(query, 200)]
    rows = {e.pk: e for e in qs.filter(pk__in=order)}
    return [rows[pk] for pk in order if pk in rows][:limit]
