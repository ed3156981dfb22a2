import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
application = get_wsgi_application()


def _warm_up() -> None:
    """Load what the apps registered as warm-ups (the triage models and dictionaries) before the first
    request (a few seconds at start instead of on a citizen's submission). Under gunicorn --preload
    this runs once in the master, before the fork, and the workers share those pages; the database
    connection is closed again so that nothing opened here is shared by the forked workers."""
    if os.environ.get("FENGQIAO_WARM_UP", "1") == "0":
        return
    from django.db import connections

    from fengqiao.core.registry import warm_up

    warm_up()
    connections.close_all()


_warm_up()
