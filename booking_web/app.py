"""The application factory: nothing is built at import time."""

from __future__ import annotations

import logging

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.engine import Engine

from booking_web.context import Phlebo, close_db
from booking_web.lean import LeanCookieSessions, LeanFlask
from shared.config import Settings
from shared.db import make_engine


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> Flask:
    """Build the Flask app for these settings (from the environment by default, checked first:
    a setting with a problem stops the start with every problem listed, see check-config)."""
    if settings is None:
        from booking_web.config_check import require_good_settings

        for warning in require_good_settings():
            logging.getLogger(__name__).warning("%s", warning)
        settings = Settings.from_env()
    app = LeanFlask(__name__, instance_path=str(settings.instance_dir))
    app.session_interface = LeanCookieSessions()
    production = settings.environment == "production"
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=production,
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    app.extensions["phlebo"] = Phlebo(settings=settings, engine=engine or make_engine(settings.database_url))
    app.teardown_appcontext(close_db)

    from booking_web.api import bp as api_bp
    from booking_web.display import bp as display_bp
    from booking_web.fhir import bp as fhir_bp
    from booking_web.errors import install_error_pages
    from booking_web.i18n import install_i18n
    from booking_web.nhs_app import install_nhs_app
    from booking_web.nhs_login import install_nhs_login
    from booking_web.ops import install_ops
    from booking_web.outage import install_outage_pages
    from booking_web.public import bp as public_bp
    from booking_web.request_guard import install_request_guard
    from booking_web.security import install_security
    from booking_web.staff import bp as staff_bp
    from booking_web.waitlist import bp as waitlist_bp
    from shared.references import format_reference
    from shared.timeutil import format_date

    install_ops(app)  # first, so its request hooks time and log everything after
    install_request_guard(app)  # before CSRFProtect and the blueprints (see its docstring)
    install_outage_pages(app)
    install_i18n(app)  # before the blueprints' hooks, so their pages know their language
    csrf = CSRFProtect(app)
    csrf.exempt(api_bp)
    csrf.exempt(fhir_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(staff_bp, url_prefix="/staff")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(fhir_bp, url_prefix="/fhir/R4")
    app.register_blueprint(waitlist_bp)  # /waiting-list/...
    app.register_blueprint(display_bp)  # /display/<site>: the waiting-room call screen
    install_nhs_login(app)  # /nhs-login/..., /your-blood-tests
    install_nhs_app(app)
    install_security(app)
    app.add_template_filter(format_reference, "reference")  # ABC-DEF-GHJ, as patients see it
    app.add_template_filter(format_date, "long_date")  # Monday 30 November 2026
    install_error_pages(app)
    if settings.proxy_hops:
        # Behind a reverse proxy: rate limits must see the patient's address, not the proxy's.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops)  # type: ignore[method-assign]
    return app
