"""The search index is rebuilt lazily when articles or library entries change: every change bumps
a version counter in the cache (shared by the processes) and each process compares it with the
version its index was built from."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from fengqiao.knowledge.models import Article, ExemplaryCase


def _changed(**_: Any) -> None:
    from fengqiao.knowledge import search

    transaction.on_commit(search.bump)
    search.bump()  # this process sees its own change at once (even inside the transaction)


for model in (Article, ExemplaryCase):
    post_save.connect(_changed, sender=model, dispatch_uid=f"knowledge-index-{model.__name__}")
    post_delete.connect(_changed, sender=model, dispatch_uid=f"knowledge-index-del-{model.__name__}")
for through in (Article.categories.through, Article.domains.through):
    m2m_changed.connect(_changed, sender=through, dispatch_uid=f"knowledge-index-m2m-{through.__name__}")
