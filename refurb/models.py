"""Every model of every area, imported in one place for Alembic and the tests."""

from .accounts.models import ApiToken, LoginAttempt, User, user_sites  # noqa: F401
from .areas import import_all
from .db import Base
from .settings import Setting  # noqa: F401
from .sites.models import Site  # noqa: F401
from .storage import StoredFile  # noqa: F401

import_all("models")
metadata = Base.metadata
