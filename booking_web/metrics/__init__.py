"""Prometheus metrics, without Flask: counters the services call when something happens
(events.py), figures read from the database at scrape time (database.py), and one scrape
(exposition.py). The web layer only serves them (booking_web/ops)."""
