"""The staff pages own no tables: sign-in lockout is django-axes' (``axes.AccessAttempt``, see
:mod:`fengqiao.web.lockout`); its former hand-written counter (LoginThrottle) was dropped in 0002."""
