"""Intelligent triage: classify, locate, route, weigh the risk, spot duplicates, propose a team."""
