"""The alert e-mail: the SMTP provider's notifier, addressed from the alerts connection.

Apart from alerts.py so that the source_freshness DAG's parse does not import the SMTP provider.
"""

from __future__ import annotations

from airflow.providers.smtp.notifications.smtp import SmtpNotifier

from socialpulse.config import ALERTS_CONN_ID


class PipelineAlert(SmtpNotifier):
    """The SMTP provider's notifier, sending to the `to` of the alerts connection's extras."""

    def __init__(self, subject: str, html_content: str, **kwargs) -> None:
        super().__init__(to=[], subject=subject, html_content=html_content, smtp_conn_id=ALERTS_CONN_ID, **kwargs)

    def _build_email_content(self, smtp, context) -> None:
        # Where SmtpNotifier itself takes from_email from the connection, the recipients come from there too.
        if not self.to:
            self.to = smtp.conn.extra_dejson.get("to")
            if not self.to:
                raise ValueError(f"connection '{ALERTS_CONN_ID}' has no recipients: set \"to\" in its extras")
        super()._build_email_content(smtp, context)
