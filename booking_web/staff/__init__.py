"""Staff pages: sign in, set up clinics, close days, run today's queue."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("staff", __name__)
