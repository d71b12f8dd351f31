"""A real SMTP server on loopback (aiosmtpd), for tests that prove delivery.

    with SMTPServer() as smtp:                 # listens on a free port of 127.0.0.1
        app.config["MAIL_PORT"] = smtp.port
        deliver_pending()
        [message] = smtp.messages              # email.message.EmailMessage, decoded

`SMTPServer(port=p)` starts on a given port (e.g. one where nothing listened before: "SMTP down,
then up"). `wait_for(n)` waits for n messages (deliveries from another thread or a worker).
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from dataclasses import dataclass

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage


class _Handler:
    def __init__(self):
        self.received: list[Received] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=email.policy.default)
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class SMTPServer:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.handler = _Handler()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SMTPServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        return [r.message for r in self.received]

    def wait_for(self, count: int, timeout: float = 15.0) -> list[email.message.EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.received) >= count:
                break
            time.sleep(0.05)
        return self.messages


def parts(message: email.message.EmailMessage) -> tuple[str, str | None]:
    """(plain text, html) of a message, decoded."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    return text.get_content(), html.get_content() if html is not None else None
