"""Administration pages: users and their API tokens, sites (with their open-data record)."""
