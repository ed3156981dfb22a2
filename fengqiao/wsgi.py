import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
application = get_wsgi_application()


def _warm_up() -> None:
    """Each web process loads the triage models and dictionaries before its first request (a few
    seconds at start instead of on a citizen's submission); its database connection is closed again
    so that nothing opened here is shared by processes forked later (gunicorn --preload)."""
    if os.environ.get("FENGQIAO_WARM_UP", "1") == "0":
        return
    from django.db import connections

    from fengqiao.triage.pipeline import warm_up

    warm_up()
    connections.close_all()


_warm_up()
