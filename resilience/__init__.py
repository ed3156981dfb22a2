"""The slow resilience suite (``make resilience``): destructive scenarios against Fengqiao's own servers.

See docs/resilience-suite.md. Nothing here runs in ``make test`` except the pure parts (tests/resilience).
"""
