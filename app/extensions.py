"""Flask extensions, created unbound here and bound to the app in one loop by create_app."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints, so that Alembic can alter them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# In a table's __table_args__: on SQLite, AUTOINCREMENT, so that the id of a deleted row (a resident who
# deleted their data) is never given to a new one; PostgreSQL's sequences never reuse an id anyway.
NEVER_REUSED_IDS = {"sqlite_autoincrement": True}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()
# request.htmx (from htmx_flask import request): the headers htmx sends with a fragment request.
htmx = Htmx()
# Request rate limits by client address (RATELIMIT_STORAGE_URI: Redis in production); app.rate_limits builds
# the per-recipient, per-resident and per-reference limits on the same storage.
limiter = Limiter(key_func=get_remote_address)
