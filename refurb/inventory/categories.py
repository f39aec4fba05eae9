"""Device categories (API values → French names) and the specs each one asks for."""

from __future__ import annotations

import unicodedata

CATEGORIES = {
    "laptop": "Ordinateur portable",
    "desktop": "Ordinateur fixe",
    "tablet": "Tablette",
    "smartphone": "Smartphone",
    "screen": "Écran",
    "printer": "Imprimante",
    "router": "Routeur 4G",
    "accessory": "Accessoire",
    "other": "Autre",
}

CATEGORIES_PLURAL = {
    "laptop": "Ordinateurs portables", "desktop": "Ordinateurs fixes", "tablet": "Tablettes",
    "smartphone": "Smartphones", "screen": "Écrans", "printer": "Imprimantes", "router": "Routeurs 4G",
    "accessory": "Accessoires", "other": "Autres",
}



def _folded(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text.casefold()) if unicodedata.category(c) != "Mn")


def categories_named(word: str) -> list[str]:
    """The categories whose French name (singular or plural) has a word starting with ``word``, case and
    accents ignored: "routeur" → router, "ecran" → screen, "portables" → laptop. Words under 3 letters
    match nothing (they would match half the list)."""
    wanted = _folded(word)
    if len(wanted) < 3:
        return []
    return [key for key in CATEGORIES
            if any(w.startswith(wanted) for name in (CATEGORIES[key], CATEGORIES_PLURAL[key])
                   for w in _folded(name).replace("-", " ").split())]


# Categories that hold user data by default (has_storage defaults to true).
WITH_STORAGE = frozenset({"laptop", "desktop", "tablet", "smartphone"})
# Battery health is recorded for these.
WITH_BATTERY = frozenset({"laptop", "tablet", "smartphone"})

# spec key → (French label, input kind, max length or unit hint)
SPEC_FIELDS = {
    "cpu": ("Processeur", "text", "ex. Intel Core i5-8250U"),
    "ram_gb": ("Mémoire vive (Go)", "number", ""),
    "storage_type": ("Type de stockage", "choice", "SSD|HDD|eMMC|NVMe|Aucun"),
    "storage_gb": ("Capacité de stockage (Go)", "number", ""),
    "screen_inches": ("Taille d'écran (pouces)", "decimal", ""),
    "os": ("Système d'exploitation", "text", "ex. Linux Mint 22, Windows 11"),
    "battery_health": ("Santé de la batterie (%)", "number", "0 à 100"),
    "resolution": ("Définition", "text", "ex. 1920×1080"),
    "connectivity": ("Connectivité", "text", "ex. Wi-Fi, 4G"),
    "imei": ("IMEI", "text", "15 chiffres"),
    "printer_type": ("Type d'impression", "choice", "Laser|Jet d'encre|Multifonction|Thermique"),
    "accessory_type": ("Type d'accessoire", "text", "ex. webcam, souris, chargeur"),
    # Filled by the hardware reports (lshw, smartctl, nwipe…); "storage", their list of disks, is shown apart.
    "manufacturer": ("Fabricant (rapport)", "text", ""),
    "model": ("Modèle (rapport)", "text", ""),
    "battery_health_pct": ("Santé de la batterie (%, rapport)", "number", "0 à 100"),
    "screen_resolution": ("Définition de l'écran (rapport)", "text", "ex. 1920×1080"),
}

SPECS_BY_CATEGORY = {
    "laptop": ["cpu", "ram_gb", "storage_type", "storage_gb", "screen_inches", "os", "battery_health"],
    "desktop": ["cpu", "ram_gb", "storage_type", "storage_gb", "os"],
    "tablet": ["storage_gb", "screen_inches", "os", "battery_health", "connectivity"],
    "smartphone": ["storage_gb", "screen_inches", "os", "battery_health", "imei"],
    "screen": ["screen_inches", "resolution"],
    "printer": ["printer_type", "connectivity"],
    "router": ["connectivity", "imei"],
    "accessory": ["accessory_type"],
    "other": [],
}
