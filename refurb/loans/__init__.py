"""Loans: borrowers, desk check-out and return by scanning, kits, renewals, reservations, kiosk."""


def init_app(app) -> None:
    pass
