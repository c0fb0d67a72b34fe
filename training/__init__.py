"""Course registration and attendance for Yeongdeungpo-gu's digital-literacy programme."""

import importlib
from pathlib import Path

from flask import Flask, g, has_request_context, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from training.config import load_config
from training.extensions import babel, csrf, db, limiter, login_manager, migrate
from training.rows import MAX_ROW_ID

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class RowIdConverter(IntegerConverter):
    """<int:...> in URLs, bounded to the database's integer range."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ROW_ID)
        super().__init__(map, *args, **kwargs)


ROUTE_MODULES = (
    "training.accounts.routes",
    "training.accounts.people_routes",
    "training.accounts.withdrawal_routes",
    "training.admin.routes",
    "training.api.routes",
    "training.certificates.routes",
    "training.checkin.routes",
    "training.desk.routes",
    "training.enrollment.routes",
    "training.outbox.routes",
    "training.passes.routes",
    "training.planning.routes",
    "training.planning.import_routes",
)


def _asset_folder(name: str) -> str:
    """templates/, static/ and migrations/ sit beside the package in a checkout, inside it
    when installed."""
    installed = Path(__file__).resolve().parent / name
    return str(installed if installed.is_dir() else PROJECT_ROOT / name)


def create_app(config: dict | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, errors and commands."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=_asset_folder("templates"),
        static_folder=_asset_folder("static"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    load_config(app, config)
    from training.fonts import font_warning
    from training.public_url import public_url_warning

    if warning := font_warning(app.config):
        app.logger.warning(warning)
    if warning := public_url_warning(app.config):
        app.logger.warning(warning)
    if proxies := app.config["TRUSTED_PROXIES"]:
        # The client's address, scheme and host as the proxies saw them, for rate limits,
        # the audit trail and the links in messages.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    # An id past what the database stores is simply not found (404), never an error.
    app.url_map.converters["int"] = RowIdConverter

    from training import models  # noqa: F401  (every table registered before use)
    from training.database import configure_engine

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(app, db, directory=_asset_folder("migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: "Asia/Seoul")
    _init_login(app)

    # Route modules are imported here, not by their packages, so that importing a feature's
    # models or services never drags in every page (and the imports between them).
    for module in ROUTE_MODULES:
        importlib.import_module(module)
    from training.accounts import bp as accounts_bp
    from training.admin import bp as admin_bp
    from training.api import bp as api_bp
    from training.certificates import bp as certificates_bp
    from training.checkin import bp as checkin_bp
    from training.desk import bp as desk_bp
    from training.enrollment import bp as enrollment_bp
    from training.health import bp as health_bp
    from training.outbox import bp as outbox_bp
    from training.passes import bp as passes_bp
    from training.planning import bp as planning_bp
    from training.stats.routes import bp as stats_bp
    from training.stats.sheet_routes import bp as sheets_bp

    blueprints = (
        health_bp,
        accounts_bp,
        enrollment_bp,
        desk_bp,
        planning_bp,
        checkin_bp,
        passes_bp,
        certificates_bp,
        stats_bp,
        sheets_bp,
        outbox_bp,
        api_bp,
        admin_bp,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    csrf.exempt(api_bp)

    from training.body_limits import init_body_limits
    from training.errors import register_error_handlers
    from training.request_log import init_request_log
    from training.web import register_web_helpers

    init_request_log(app)
    init_body_limits(app)
    register_error_handlers(app)
    register_web_helpers(app)

    from training.accounts.cli import users_command
    from training.accounts.retention_cli import purge_command
    from training.backup.cli import backup_command, restore_command
    from training.certificates.cli import certificates_command
    from training.demo.cli import seed_demo_command
    from training.outbox.cli import outbox_command
    from training.planning.cli import import_term_command
    from training.stats.cli import report_command

    commands = (
        users_command,
        purge_command,
        seed_demo_command,
        certificates_command,
        report_command,
        import_term_command,
        backup_command,
        restore_command,
        outbox_command,
    )
    for command in commands:
        app.cli.add_command(command)
    return app


def select_locale() -> str:
    """Korean unless the person chose English (kept in a cookie)."""
    if not has_request_context():
        return "ko"
    chosen = request.args.get("lang") or request.cookies.get("lang")
    if chosen in ("ko", "en"):
        g.chosen_locale = chosen
        return chosen
    return "ko"


def _init_login(app: Flask) -> None:
    from flask_babel import lazy_gettext

    from training.accounts.services import load_session_user

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = lazy_gettext("로그인이 필요합니다.")
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_session_user)
