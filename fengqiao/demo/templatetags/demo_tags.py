from django import template
from django.urls import reverse

register = template.Library()


@register.simple_tag
def demo_sms_url() -> str:
    """Where the demo's SMS can be read ("" when there is no such page: production, a real gateway)."""
    from fengqiao.demo import sms

    return reverse("demo:sms") if sms.available() else ""
