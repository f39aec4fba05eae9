from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Float, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow

SITE_KINDS = {
    "epn": "Espace public numérique (EPN)",
    "france_services": "France Services",
    "mediatheque": "Médiathèque",
    "centre_social": "Centre social",
    "atelier": "Atelier de reconditionnement",
    "unite_mobile": "Unité mobile (bus numérique)",
}


# Allowed values of the schema's "services" field (LaMednum, schema.data.gouv.fr).
OPEN_DATA_SERVICES = (
    "Aide aux démarches administratives",
    "Maîtrise des outils numériques du quotidien",
    "Insertion professionnelle via le numérique",
    "Utilisation sécurisée du numérique",
    "Parentalité et éducation avec le numérique",
    "Loisirs et créations numériques",
    "Compréhension du monde numérique",
    "Accès internet et matériel informatique",
    "Acquisition de matériel informatique à prix solidaire",
)


class Site(Base):
    __tablename__ = "sites"
    __read_whole__ = True  # a few dozen rows at most, named by most records (refurb.db)
    __table_args__ = (
        CheckConstraint("kind IN ('epn','france_services','mediatheque','centre_social','atelier','unite_mobile')",
                        name="kind"),
        CheckConstraint("latitude IS NULL OR (latitude >= -90 AND latitude <= 90)", name="latitude"),
        CheckConstraint("longitude IS NULL OR (longitude >= -180 AND longitude <= 180)", name="longitude"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(80), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(120), default="")
    opening_hours: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Open data ("lieux de médiation numérique" national schema): see refurb/sites/opendata.py.
    pivot: Mapped[str] = mapped_column(String(14), default="")  # SIRET (14 digits) or RNA (W + 9 digits)
    insee_code: Mapped[str] = mapped_column(String(5), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    website: Mapped[str] = mapped_column(String(300), default="")
    services: Mapped[list] = mapped_column(JSON, default=list)  # values of OPEN_DATA_SERVICES
    itinerant: Mapped[bool] = mapped_column(Boolean, default=False)  # the bus: "Itinérant"
    public_summary: Mapped[str] = mapped_column(String(280), default="")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def kind_label(self) -> str:
        return SITE_KINDS.get(self.kind, self.kind)

    @property
    def full_address(self) -> str:
        return ", ".join(p for p in (self.address, f"{self.postal_code} {self.city}".strip()) if p)

    def __repr__(self) -> str:
        return f"<Site {self.code}>"
