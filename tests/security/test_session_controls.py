"""Deleting one's data ends every session of the resident, on every device (ASVS 5.0 7.4.2)."""

from bs4 import BeautifulSoup

from tests.integration.auth.conftest import Visitor


def test_deleting_my_data_ends_my_sessions_on_every_device(app, scripted):
    phone, laptop = Visitor(app.test_client()), Visitor(app.test_client())
    for device in (phone, laptop):
        assert device.sign_in_at_scripted().location == "/dashboard"
    page = phone.portal("/account/delete").get_data(as_text=True)
    token = BeautifulSoup(page, "html.parser").select_one("input[name=csrf_token]")["value"]
    response = phone.client.post("/account/delete", data={"csrf_token": token}, headers={"Host": phone.host})
    assert response.status_code == 302
    assert phone.portal("/account").status_code == 302
    assert laptop.portal("/account").status_code == 302, "the other device is signed out too"
