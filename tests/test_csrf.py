from conftest import csrf_token


def test_form_post_without_or_with_wrong_token_is_refused(client, login_as):
    login_as("admin")
    data = {"code": "EPN-NEW", "name": "Nouveau", "kind": "epn"}
    for extra in ({}, {"csrf_token": "faux"}):
        response = client.post("/sites/new", data=data | extra)
        assert response.status_code == 400
        assert "jeton de sécurité" in response.get_data(as_text=True)
    assert "EPN-NEW" not in client.get("/sites/").get_data(as_text=True)
    token = csrf_token(client, "/sites/new")
    assert client.post("/sites/new", data=data | {"csrf_token": token}).status_code == 303
    assert "EPN-NEW" in client.get("/sites/").get_data(as_text=True)


def test_htmx_post_needs_the_header_token(client, login_as):
    login_as("desk")
    headers = {"HX-Request": "true"}
    response = client.post("/site", data={"site_id": "1"}, headers=headers)
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#flash"
    assert "jeton de sécurité" in response.get_data(as_text=True)
    token = csrf_token(client, "/password")  # "/" sends the desk to its own home
    response = client.post("/site", data={"site_id": "1"}, headers=headers | {"X-CSRFToken": token})
    assert response.status_code == 303  # the site switch answers See Other


def test_logout_needs_a_token(client, login_as):
    login_as("tech")
    assert client.post("/logout").status_code == 400
    assert client.get("/", follow_redirects=True).status_code == 200
