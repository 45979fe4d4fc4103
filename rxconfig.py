import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

from siimop_app.origins import OwnOrigins
from siimop_app.settings import get_settings, prepare_sqlite_folder

settings = get_settings()
prepare_sqlite_folder(settings.database_url)

config = rx.Config(
    app_name="siimop_app",
    db_url=settings.database_url,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # Only the app's own origins may read with credentials or open the event socket (issue 10).
    cors_allowed_origins=OwnOrigins(),
    disable_plugins=[SitemapPlugin],
    # With Redis (several workers) a client's state expires with its sign-in session, never later (issue 13).
    redis_token_expiration=settings.session_hours * 3600,
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(appearance="light", accent_color="indigo", radius="medium"))],
)
