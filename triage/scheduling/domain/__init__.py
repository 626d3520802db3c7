"""Sustainable scheduling: staff, staffing rules, routing within limits, time accounting (pure)."""
