"""Email without a mail server: each message is a file under DATA_DIR/outbox, and logged.

A fresh install can sign users up and reset passwords with no SMTP set up: the operator (or a
test) reads the link from the log or the file. CHEESESHOP_EMAIL_URL switches to SMTP.
"""

import logging
import re

from django.core.mail.backends.filebased import EmailBackend

logger = logging.getLogger("cheeseshop.mail")
_LINK = re.compile(r"https?://\S+")


class OutboxEmailBackend(EmailBackend):
    def send_messages(self, email_messages):
        sent = super().send_messages(email_messages)
        for message in email_messages:
            links = _LINK.findall(message.body)
            logger.info(
                "email to %s: %s%s (written to %s)",
                ", ".join(message.to),
                message.subject,
                "".join(f"\n  {link}" for link in links),
                self.file_path,
            )
        return sent
