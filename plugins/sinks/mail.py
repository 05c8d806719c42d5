"""The ``email`` sink: one mail per group of alerts over SMTP, STARTTLS and login when configured."""

from __future__ import annotations

import json
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, ClassVar

from sellerpulse.core.alerts.message import AlertMessage
from sellerpulse.core.alerts.sink import RETRY_OPTIONS, DeliveryError, Sink
from sellerpulse.core.options import Option


class EmailSink(Sink):
    """Sends each group of alerts as one plain-text mail (the JSON attached).

    ``starttls = "auto"`` upgrades the connection when the server offers STARTTLS; without it, a mail is
    sent unauthenticated, but a configured login is refused (retried, then given up): a password never
    crosses a connection in clear because the offer was missing (or stripped by someone in the middle).
    ``"always"`` refuses to send without STARTTLS, ``"never"`` does not try (and logs in in clear if told
    to). ``username`` / ``password`` (from the environment: ``password = "${SMTP_PASSWORD}"``) log in
    after STARTTLS. A 5xx answer is permanent, anything else is retried.
    """

    type_name: ClassVar[str] = "email"
    options: ClassVar[tuple[Option, ...]] = (
        Option("host", "str", "localhost", "SMTP server"),
        Option("port", "int", 587, "SMTP port"),
        Option("sender", "str", None, "From address", required=True),
        Option("to", "list", None, "recipient addresses", required=True),
        Option("starttls", "str", "auto", "auto, always or never", choices=("auto", "always", "never")),
        Option("username", "str", "", "login name (empty: no login)"),
        Option("password", "str", "", "login password, e.g. ${SMTP_PASSWORD}", secret=True),
        Option("cafile", "path", None, "CA certificates (PEM) that sign the server's, for a private CA"),
        Option("subject_prefix", "str", "[sellerpulse]", "put before every subject"),
        Option("timeout", "float", 20.0, "seconds before the connection is abandoned (and retried)"),
        *RETRY_OPTIONS,
    )

    def __init__(self, name: str, options: dict[str, Any]) -> None:
        super().__init__(name, options)
        if not self.settings["to"]:
            raise ValueError("option 'to': at least one recipient")

    def compose(self, message: AlertMessage) -> EmailMessage:
        mail = EmailMessage()
        prefix = self.settings.get("subject_prefix") or ""
        mail["Subject"] = f"{prefix} {message.title()}".strip()
        mail["From"] = self.settings["sender"]
        mail["To"] = ", ".join(self.settings["to"])
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = make_msgid(idstring=message.key)
        mail["X-Sellerpulse-Key"] = message.key
        mail.set_content(message.text() + "\n")
        body = json.dumps(message.to_json(), indent=2).encode("ascii")
        mail.add_attachment(body, maintype="application", subtype="json", filename="alerts.json")
        return mail

    def send(self, message: AlertMessage) -> None:
        settings = self.settings
        mail = self.compose(message)
        try:
            with smtplib.SMTP(
                settings["host"], int(settings["port"]), timeout=float(settings["timeout"])
            ) as smtp:
                smtp.ehlo()
                mode = settings.get("starttls", "auto")
                if mode != "never" and smtp.has_extn("starttls"):
                    cafile = settings.get("cafile")
                    smtp.starttls(context=ssl.create_default_context(cafile=str(cafile) if cafile else None))
                    smtp.ehlo()
                elif mode == "always":
                    raise DeliveryError(
                        'the server does not offer STARTTLS (starttls = "always")', permanent=True
                    )
                elif mode == "auto" and settings.get("username"):
                    raise DeliveryError(
                        "the server offers no STARTTLS, so no login was tried: "
                        'starttls = "auto" never sends the password in clear'
                    )
                if settings.get("username"):
                    smtp.login(settings["username"], settings.get("password") or "")
                smtp.send_message(mail)
        except smtplib.SMTPResponseException as exc:
            text = (
                exc.smtp_error.decode("utf-8", "replace")
                if isinstance(exc.smtp_error, bytes)
                else str(exc.smtp_error)
            )
            raise DeliveryError(f"SMTP {exc.smtp_code}: {text}", permanent=exc.smtp_code >= 500) from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"recipients refused: {', '.join(exc.recipients)}", permanent=True) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP failed: {type(exc).__name__}: {exc}") from None
