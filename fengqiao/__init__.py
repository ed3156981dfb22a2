"""Fengqiao (枫桥): one-stop grassroots dispute resolution."""

from fengqiao.celery import app as celery_app

__all__ = ["celery_app"]
