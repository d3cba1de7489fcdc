"""Emails about a followed report ask GOV.UK Notify for a List-Unsubscribe header (one click, RFC 8058)."""

from app.reports.mail import Email, NotifyMailer


class RecordingClient:
    def __init__(self):
        self.sent = []

    def send_email_notification(self, **notification):
        self.sent.append(notification)
        return {"id": "b1c2"}


def test_the_unsubscribe_link_goes_to_notify_as_its_one_click_unsubscribe_url():
    mailer = NotifyMailer(
        "key-00000000-0000-0000-0000-000000000000-00000000-0000-0000-0000-000000000000",
        "template",
        "http://127.0.0.1:9",
    )
    mailer.client = RecordingClient()
    mailer.send(
        Email(to="a@example.com", subject="S", body="B", unsubscribe_url="https://x/requests/unsubscribe/t")
    )
    mailer.send(Email(to="a@example.com", subject="S", body="B"))
    assert mailer.client.sent[0]["one_click_unsubscribe_url"] == "https://x/requests/unsubscribe/t"
    assert mailer.client.sent[1]["one_click_unsubscribe_url"] is None
