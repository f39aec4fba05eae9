from . import ALL, NETWORK, PUBLIC, STAFF, Case

CASES = {
    "web.home": Case("GET", "/", ALL),
    "web.scan_code": Case("GET", "/scan?code=INCONNU", STAFF),
    "web.switch_site": Case("POST", "/site", ALL, data={"site_id": "1"}),
    "web.healthz": Case("GET", "/healthz", PUBLIC),
    "web.favicon": Case("GET", "/favicon.ico", PUBLIC),
    "accounts.login": Case("GET", "/login", PUBLIC),
    "accounts.logout": Case("POST", "/logout", ALL, ends_session=True),
    "accounts.change_password": Case("GET", "/password", STAFF),
    "accounts.keepalive": Case("GET", "/session/ping", ALL),
    "users_admin.list_users": Case("GET", "/admin/users/", {"admin"}),
    "users_admin.new_user": Case("GET", "/admin/users/new", {"admin"}),
    "users_admin.edit_user": Case("GET", "/admin/users/tech", {"admin"}),
    "users_admin.create_token": Case("POST", "/admin/users/manager/tokens", {"admin"}, data={"name": "x"}),
    "users_admin.revoke_token": Case("POST", "/admin/users/manager/tokens/999/revoke", {"admin"}),
    "sites.list_sites": Case("GET", "/sites/", NETWORK),
    "sites.new_site": Case("GET", "/sites/new", {"admin"}),
    "sites.edit_site": Case("GET", "/sites/{o[site]}/edit", {"admin"}),
    "api.openapi": Case("GET", "/api/v1/openapi.json", PUBLIC),
    "api.me": Case("GET", "/api/v1/me", STAFF),
    "api.sites": Case("GET", "/api/v1/sites", STAFF),
}
