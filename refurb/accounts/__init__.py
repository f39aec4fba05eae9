"""Accounts: users, roles, site scoping, API tokens, login throttling."""
