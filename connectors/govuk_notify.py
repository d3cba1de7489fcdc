"""Text messages through GOV.UK Notify's API (https://docs.notifications.service.gov.uk/rest-api.html), for
any council with a Notify service and a text message template.

Deployment file: ``adapter = "govuk_notify_sms"``, ``base_url`` (``https://api.notifications.service.gov.uk``
in production; the sandbox's stand-in is ``http://127.0.0.1:5001/notify``), ``template_id`` (the council's
text message template for reminders) and ``confirmation_template_id`` (its template for the security code that
confirms a resident's mobile number), each taking the placeholders the portal sends, optionally
``sms_sender_id``, and
``credentials = { api_key = ... }`` naming the variable that holds the council's Notify API key.

A Notify API key is ``<key name>-<service id>-<secret>``, the last two UUIDs. Each call carries a fresh JSON
Web Token, as Notify's own clients make it: signed with the secret (HS256), ``iss`` the service id and
``iat`` the time now in seconds; Notify refuses a token issued more than 30 seconds away from its clock.

Nothing is cached: a message is sent, and "was it sent" must be asked of Notify itself.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

from connectors.council_rest import Fields, document
from connectors.errors import ConfigurationError
from connectors.http import HttpClient
from connectors.models import NewTextMessage, SentTextMessage, TextTemplate

UUID_LENGTH = 36


@dataclass(frozen=True)
class NotifyKey:
    service_id: str
    secret: str

    @classmethod
    def parse(cls, api_key: str) -> NotifyKey:
        """The service id and secret of a key ``<name>-<service id>-<secret>`` (the name may hold hyphens)."""
        api_key = api_key.strip()
        secret = api_key[-UUID_LENGTH:]
        service_id = api_key[-2 * UUID_LENGTH - 1 : -UUID_LENGTH - 1]
        separator = api_key[-UUID_LENGTH - 1 : -UUID_LENGTH]
        if len(api_key) < 2 * UUID_LENGTH + 1 or separator != "-" or not _looks_like_uuid(service_id, secret):
            raise ConfigurationError(
                "A GOV.UK Notify API key is the key's name, the service id and the secret, joined by hyphens"
            )
        return cls(service_id=service_id, secret=secret)

    def token(self, now: float | None = None) -> str:
        """The JSON Web Token for one request, issued ``now`` (seconds since the epoch)."""
        issued_at = int(time.time() if now is None else now)
        return jwt.encode(
            {"iss": self.service_id, "iat": issued_at},
            self.secret,
            algorithm="HS256",
            headers={"typ": "JWT", "alg": "HS256"},
        )


def _looks_like_uuid(*values: str) -> bool:
    return all(
        len(value) == UUID_LENGTH and [len(part) for part in value.split("-")] == [8, 4, 4, 4, 12]
        for value in values
    )


class GovUkNotifyTextMessages:
    def __init__(
        self,
        http: HttpClient,
        key: NotifyKey,
        template_id: str,
        confirmation_template_id: str,
        sms_sender_id: str | None = None,
    ):
        self.http = http
        self.key = key
        self.template_id = template_id
        self.confirmation_template_id = confirmation_template_id
        self.sms_sender_id = sms_sender_id

    def _template_id(self, template: TextTemplate) -> str:
        if template is TextTemplate.CONFIRMATION_CODE:
            return self.confirmation_template_id
        return self.template_id

    def _authorisation(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key.token()}"}

    def send(self, message: NewTextMessage) -> SentTextMessage:
        body = {
            "phone_number": message.phone_number,
            "template_id": self._template_id(message.template),
            "personalisation": message.personalisation,
            "reference": message.reference,
        }
        if self.sms_sender_id:
            body["sms_sender_id"] = self.sms_sender_id
        return self.http.post(
            "v2/notifications/sms", json=body, headers=self._authorisation(), parse=parse_sent
        )

    def sent_with_reference(self, reference: str) -> tuple[SentTextMessage, ...]:
        return self.http.get_fresh(
            "v2/notifications",
            params={"template_type": "sms", "reference": reference},
            headers=self._authorisation(),
            parse=parse_notifications,
        )


def parse_sent(response) -> SentTextMessage:
    return _sent_from(document(response))


def _sent_from(fields: Fields) -> SentTextMessage:
    return SentTextMessage(notification_id=fields.text("id"), reference=fields.optional_text("reference"))


def parse_notifications(response) -> tuple[SentTextMessage, ...]:
    return tuple(_sent_from(entry) for entry in document(response).objects("notifications"))


def build(settings, registry) -> GovUkNotifyTextMessages:
    where = f"{settings.council} {settings.kind.value}"
    if not settings.credentials.get("api_key"):
        raise ConfigurationError(f"{where}: credentials must name the variable holding the Notify API key")
    template_id = settings.options.get("template_id")
    if not template_id:
        raise ConfigurationError(
            f"{where}: template_id, the council's Notify text message template, is missing"
        )
    confirmation_template_id = settings.options.get("confirmation_template_id")
    if not confirmation_template_id:
        raise ConfigurationError(
            f"{where}: confirmation_template_id, the council's Notify template for the code that confirms a "
            "mobile number, is missing"
        )
    try:
        key = NotifyKey.parse(settings.credentials["api_key"])
    except ConfigurationError as error:
        raise ConfigurationError(f"{where}: {error}") from None
    http = registry.http_client(settings, headers={"Accept": "application/json"})
    return GovUkNotifyTextMessages(
        http,
        key,
        str(template_id),
        str(confirmation_template_id),
        settings.options.get("sms_sender_id"),
    )
