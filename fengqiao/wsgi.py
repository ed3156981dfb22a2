import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
application = get_wsgi_application()


def _warm_up() -> None:
    """Load what the apps registered as warm-ups (the triage models and dictionaries) before the first
    request (a few seconds at start instead of on a citizen's submission), where triage runs in this
    process (the embedded demo: no broker; ``FENGQIAO_WARM_UP=1`` forces it, ``0`` turns it off). Under gunicorn --preload
    this runs once in the master, before the fork, and the workers share those pages; the database
    connection is closed again so that nothing opened here is shared by the forked workers."""
    from django.conf import settings
    from django.db import connections

    wanted = os.environ.get("FENGQIAO_WARM_UP", "auto")
    if wanted == "0":
        return
    if wanted == "auto" and settings.CELERY_BROKER_URL.startswith(("redis", "amqp")):
        # A deployment with a broker: triage runs in the Celery workers (they warm up themselves);
        # a web worker never classifies, so it loads no model, jieba or scikit-learn (issue #21).
        return

    from fengqiao.core.registry import warm_up

    warm_up()
    connections.close_all()


_warm_up()
