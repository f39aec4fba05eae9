"""Every model of every area, imported in one place for Alembic and the tests."""

from .accounts.models import ApiToken, LoginAttempt, User, user_sites  # noqa: F401
from .bus import models as _bus  # noqa: F401
from .certificates import models as _certificates  # noqa: F401
from .db import Base
from .documents import models as _documents  # noqa: F401
from .inventory import models as _inventory  # noqa: F401
from .loans import models as _loans  # noqa: F401
from .public import models as _public  # noqa: F401
from .refurbishment import models as _refurbishment  # noqa: F401
from .settings import Setting  # noqa: F401
from .sites.models import Site  # noqa: F401
from .storage import StoredFile  # noqa: F401

metadata = Base.metadata
