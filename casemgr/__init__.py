"""casemgr: a threat-assessment case manager for executive-protection teams."""

from __future__ import annotations

import hmac
import os
import time
from pathlib import Path
from typing import Any

from flask import Flask, Response, g
from werkzeug.middleware.proxy_fix import ProxyFix

from casemgr.config import settings_from_env
from casemgr.evidence.staging import StreamingRequest
from casemgr.evidence.store import FileStore
from casemgr.extensions import bootstrap, csrf, db, login_manager, migrate
from casemgr.routing import RowIdConverter, TextConverter

PROJECT_ROOT = Path(__file__).resolve().parent.parent

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app; `test_config` overrides settings read from the environment."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("CASEMGR_INSTANCE_PATH") or str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    app.request_class = StreamingRequest
    app.url_map.converters["int"] = RowIdConverter
    app.url_map.converters["default"] = app.url_map.converters["string"] = TextConverter
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(settings_from_env(instance))
    if test_config:
        app.config.from_mapping(test_config)
    Path(app.config["CASEMGR_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    FileStore(Path(app.config["CASEMGR_DATA_DIR"])).sweep_temp()
    if hops := app.config["CASEMGR_PROXY_HOPS"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    _init_extensions(app)
    _register_blueprints(app)
    _install_request_hooks(app)
    return app


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    bootstrap.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Log in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    from casemgr.auth.models import User

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        # A disabled user's sessions, and those begun before their password last changed,
        # end with their next request.
        user_id, _, mark = session_id.partition(":")
        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        if user is None or not user.active:
            return None
        return user if hmac.compare_digest(mark, user.password_mark) else None


def _register_blueprints(app: Flask) -> None:
    from casemgr import api, cli, health, models
    from casemgr.api import docs as api_docs
    from casemgr.assessments import views as assessments
    from casemgr.auth import admin, views
    from casemgr.briefings import bolo_views
    from casemgr.briefings import views as briefings
    from casemgr.cases import views as cases
    from casemgr.cases import work_views
    from casemgr.dashboard import views as dashboard
    from casemgr.errors import register_error_handlers
    from casemgr.evidence import views as evidence
    from casemgr.people import views as people
    from casemgr.search import views as search
    from casemgr.templating import install_filters
    from casemgr.threats import import_views
    from casemgr.threats import views as threats
    from casemgr.web import install_login_gate

    assert models  # every model module is imported before Alembic compares the schema
    assert work_views  # its routes join the cases blueprint
    assert import_views  # its routes join the threats blueprint
    install_login_gate(app)
    install_filters(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(people.bp)
    app.register_blueprint(cases.bp)
    app.register_blueprint(threats.bp)
    app.register_blueprint(evidence.bp)
    app.register_blueprint(bolo_views.bp)
    app.register_blueprint(briefings.bp)
    app.register_blueprint(assessments.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(api_docs.bp)
    app.register_blueprint(health.bp)
    cli.register(app)
    register_error_handlers(app)


def _install_request_hooks(app: Flask) -> None:
    # After-request hooks run last-registered first: the transaction ends before the
    # security headers are set, so an answer replacing a failed commit gets them too.
    @app.before_request
    def start_clock() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def server_timing(response: Response) -> Response:
        # The time spent in the app, for the benchmarks and for operators' browser tools.
        elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        response.headers["Server-Timing"] = f"app;dur={elapsed:.1f}"
        return response

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.after_request
    def finish_transaction(response: Response) -> Response:
        # One commit per request, at its end; any error answer rolls everything back.
        if response.status_code >= 400:
            db.session.rollback()
            return response
        try:
            db.session.commit()
        except Exception as error:
            # The database refused the commit (a unique key or row version lost a race, a
            # lock or deadlock): nothing was saved, so answer as if the view had raised it.
            db.session.rollback()
            response.close()
            return app.make_response(app.handle_user_exception(error))
        return response
