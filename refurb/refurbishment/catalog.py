"""Fixed vocabularies of the refurbishment channel: checklists, erasure methods, payment
methods, default "prix solidaires" caps, default price list and eligibility reasons.

Values are the API words; the French names are what pages show.
"""

from __future__ import annotations

from decimal import Decimal

DONOR_KINDS = {
    "company": "Entreprise",
    "public_body": "Organisme public",
    "association": "Association",
    "individual": "Particulier",
}

# --- diagnosis ------------------------------------------------------------------------------

CHECKS = {
    "power": "Alimentation et démarrage",
    "screen": "Écran (pixels, rétroéclairage, charnières)",
    "keyboard": "Clavier",
    "touchpad": "Pavé tactile",
    "touchscreen": "Écran tactile",
    "buttons": "Boutons physiques",
    "ports": "Ports (USB, vidéo, audio, charge)",
    "network": "Réseau filaire (Ethernet)",
    "wifi": "Wi-Fi",
    "bluetooth": "Bluetooth",
    "cellular": "Réseau mobile (carte SIM, 4G)",
    "webcam": "Webcam",
    "cameras": "Appareils photo",
    "audio": "Son (haut-parleurs, micro)",
    "battery": "Batterie (santé)",
    "storage": "Stockage (santé SMART)",
    "optical_drive": "Lecteur optique (CD/DVD), s'il y en a un",
    "ram": "Mémoire vive (test)",
    "charger": "Chargeur",
    "display": "Affichage (pixels, rétroéclairage)",
    "video_inputs": "Entrées vidéo (HDMI, DisplayPort, VGA)",
    "printing": "Impression (page de test)",
    "scanning": "Numérisation et copie",
    "paper_feed": "Entraînement du papier",
    "function": "Fonctionnement",
}

CHECKLISTS = {
    "laptop": ["power", "screen", "keyboard", "touchpad", "ports", "wifi", "bluetooth", "webcam", "audio",
               "battery", "storage", "ram", "optical_drive", "charger"],
    "desktop": ["power", "ports", "network", "wifi", "audio", "storage", "ram", "optical_drive"],
    "tablet": ["power", "touchscreen", "buttons", "ports", "wifi", "cameras", "audio", "battery", "storage",
               "charger"],
    "smartphone": ["power", "touchscreen", "buttons", "ports", "wifi", "cellular", "cameras", "audio", "battery",
                   "storage", "charger"],
    "screen": ["power", "display", "video_inputs"],
    "printer": ["power", "printing", "scanning", "paper_feed", "network", "wifi"],
    "router": ["power", "cellular", "wifi", "network", "charger"],
    "accessory": ["function"],
    "other": ["power", "function"],
}

CHECK_RESULTS = {"pass": "OK", "fail": "En panne", "na": "Sans objet"}

VERDICTS = {
    "ready": "Bon pour la suite (sans réparation)",
    "repair": "À réparer",
    "parts": "Pour pièces détachées",
    "recycle": "À recycler (DEEE)",
}

# --- data erasure ---------------------------------------------------------------------------

ERASURE_METHODS = {
    "overwrite": "Réécriture (une passe ou plus)",
    "ata_secure_erase": "ATA Secure Erase",
    "nvme_sanitize": "NVMe Sanitize / Format",
    "crypto_erase": "Effacement cryptographique",
    "factory_reset": "Réinitialisation d'usine (stockage chiffré)",
    "destruction": "Destruction physique du support",
}
NIST_CATEGORIES = {"clear": "Clear (effacement)", "purge": "Purge", "destroy": "Destroy (destruction)"}
MEDIA_KINDS = {"hdd": "Disque dur (HDD)", "ssd": "SSD SATA", "nvme": "SSD NVMe", "emmc": "eMMC",
               "flash": "Mémoire flash (téléphone, tablette, clé)", "other": "Autre"}
ERASURE_RESULTS = {"passed": "Réussi", "failed": "Échoué"}
# Where a medium goes after sanitisation (the NIST SP 800-88 sample certificate's "destination").
ERASURE_DESTINATIONS = {"reuse": "Réemploi", "recycling": "Recyclage", "destruction": "Destruction"}
# Which methods fit which medium, and the NIST SP 800-88 Rev. 1 (Table A) categories each one can reach:
# an overwrite is Clear (on any medium the tool can write); Purge needs the medium's own command (ATA Secure Erase on an ATA disk, NVMe
# Sanitize/Format on an NVMe SSD) or a cryptographic erase; a factory reset belongs to phones and tablets
# (encrypted flash); Destroy is physical.
ERASURE_FIT = {
    "overwrite": (set(MEDIA_KINDS), {"clear"}),
    "ata_secure_erase": ({"hdd", "ssd", "other"}, {"clear", "purge"}),  # "other": a medium not described
    "nvme_sanitize": ({"nvme", "other"}, {"clear", "purge"}),
    "crypto_erase": ({"hdd", "ssd", "nvme", "emmc", "flash", "other"}, {"purge"}),
    "factory_reset": ({"emmc", "flash"}, {"clear", "purge"}),
    "destruction": (set(MEDIA_KINDS), {"destroy"}),
}
# The method to suggest for a medium, per category asked (named in refusals).
ERASURE_SUGGESTED = {
    "hdd": {"clear": "overwrite", "purge": "ata_secure_erase"},
    "ssd": {"clear": "ata_secure_erase", "purge": "ata_secure_erase"},
    "nvme": {"clear": "nvme_sanitize", "purge": "nvme_sanitize"},
    "emmc": {"clear": "factory_reset", "purge": "crypto_erase"},
    "flash": {"clear": "factory_reset", "purge": "crypto_erase"},
    "other": {"clear": "overwrite", "purge": "crypto_erase"},
}
# Who destroyed the storage media of a device recorded without an erasure session.
DESTROYERS = {"us": "Par nos soins", "recycler": "Par le recycleur (certificat de destruction)"}

# --- repairs --------------------------------------------------------------------------------

PART_SOURCES = {"harvested": "Récupérée sur un appareil « pièces détachées »", "bought": "Achetée"}

# --- grading --------------------------------------------------------------------------------

GRADES = {"A": "A — très bon état", "B": "B — bon état, traces d'usage", "C": "C — état correct, marques visibles"}
FUNCTIONAL_RESULTS = {"full": "Toutes les fonctions opérationnelles",
                      "limited": "Fonctionnel avec réserves (précisées)"}

# --- sale and donation out ------------------------------------------------------------------

PAYMENT_METHODS = {"cash": "Espèces", "card": "Carte bancaire", "cheque": "Chèque", "transfer": "Virement",
                   "other": "Autre"}
RECIPIENT_KINDS = {"person": "Personne (bénéficiaire)", "association": "Association partenaire"}
DEFAULT_WARRANTY_MONTHS = 24

# "Prix solidaires" for equipment given by public bodies (TTC, in working order).
CAPS = {
    "laptop": ("Ordinateur portable", Decimal("180.00")),
    "desktop": ("Ordinateur fixe avec écran, clavier et souris", Decimal("150.00")),
    "mfp": ("Imprimante multifonction", Decimal("170.00")),
    "tablet": ("Tablette", Decimal("100.00")),
    "smartphone": ("Smartphone", Decimal("100.00")),
    "screen": ("Écran", Decimal("30.00")),
    "printer": ("Imprimante", Decimal("30.00")),
}


def cap_key(device) -> str | None:
    """Which cap applies to a device (None: the category has no cap)."""
    if device.category == "printer":
        return "mfp" if (device.specs or {}).get("printer_type") == "Multifonction" else "printer"
    return device.category if device.category in CAPS else None


# Suggested social prices per category × grade (the network edits them).
PRICE_LIST = {
    "laptop": {"A": "150.00", "B": "120.00", "C": "90.00"},
    "desktop": {"A": "120.00", "B": "100.00", "C": "80.00"},
    "tablet": {"A": "90.00", "B": "70.00", "C": "50.00"},
    "smartphone": {"A": "90.00", "B": "70.00", "C": "50.00"},
    "screen": {"A": "30.00", "B": "25.00", "C": "15.00"},
    "printer": {"A": "30.00", "B": "25.00", "C": "15.00"},
    "router": {"A": "40.00", "B": "30.00", "C": "20.00"},
    "accessory": {"A": "10.00", "B": "5.00", "C": "3.00"},
    "other": {"A": "20.00", "B": "10.00", "C": "5.00"},
}

ELIGIBILITY_REASONS = [
    ("minima_sociaux", "Bénéficiaire de minima sociaux (RSA, AAH, ASS, minimum vieillesse…)"),
    ("qpv", "Habitant d'un quartier prioritaire de la politique de la ville (QPV)"),
    ("travailleur_social", "Orienté par un travailleur social"),
    ("etudiant_boursier", "Étudiant boursier"),
    ("demandeur_emploi", "Demandeur d'emploi"),
    ("association", "Association accompagnant des personnes en difficulté"),
]

# --- recycling (DEEE) -----------------------------------------------------------------------

WASTE_CODES = {
    "16 02 14": "16 02 14 — équipements mis au rebut (professionnels)",
    "16 02 13*": "16 02 13* — équipements contenant des composants dangereux",
    "20 01 36": "20 01 36 — équipements électriques et électroniques (ménagers)",
    "20 01 35*": "20 01 35* — équipements ménagers contenant des composants dangereux",
}
TREATMENT_CODES = {
    "": "—",
    "R4": "R4 — recyclage des métaux",
    "R5": "R5 — recyclage d'autres matières inorganiques",
    "R12": "R12 — échange en vue d'une valorisation",
    "R13": "R13 — entreposage en vue d'une valorisation",
    "D15": "D15 — entreposage en vue d'une élimination",
}
# Values a donor's accounts can give a gift in kind (art. 238 bis CGI: cost price, or net book value for
# an asset of the company); never the purchase price ("valeur d'origine").
VALUATION_BASES = {"cost_price": "Coût de revient", "net_book_value": "Valeur nette comptable"}
