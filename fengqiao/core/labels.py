"""Choice labels translated once per language, not on every ``get_FOO_display()`` call.

Django's ``get_FOO_display`` rebuilds a dict of every (lazy) choice label on each call, which
translates them all; on a list of 50 cases that is hundreds of gettext calls. These maps are built
once per (choices class, language) and reused.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import get_language

_MAPS: dict[tuple[type[models.Choices], str | None], dict[Any, str]] = {}


def choice_label(choices: type[models.Choices], value: Any) -> str:
    key = (choices, get_language())
    labels = _MAPS.get(key)
    if labels is None:
        labels = _MAPS[key] = {member.value: str(member.label) for member in choices}
    return labels.get(value, "" if value in (None, "") else str(value))
