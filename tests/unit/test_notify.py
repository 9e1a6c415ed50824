"""The failure notifier reaches what the settings name: a webhook (KAOHE_NOTIFY_WEBHOOK) and a mail
(KAOHE_NOTIFY_EMAIL via KAOHE_SMTP_HOST / _PORT / _FROM), both real servers on 127.0.0.1."""

from __future__ import annotations

import json
import socketserver
import threading
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, HTTPServer

from kaohe.ops import notify

EVENT = {"dag_id": "kaohe_daily", "run_id": "r1", "task_id": "load", "business_date": "2026-09-30", "error": "boom"}


class _Hook(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


class _Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib.send_message: every command gets 250, DATA collects the message."""

    received: list[tuple[str, bytes]] = []

    def handle(self):
        self.wfile.write(b"220 test\r\n")
        sender = ""
        while line := self.rfile.readline():
            command = line.strip().upper()
            if command.startswith(b"MAIL FROM:"):
                sender = line.strip()[10:].decode().strip("<>")
            if command == b"DATA":
                self.wfile.write(b"354 go on\r\n")
                data = b"".join(iter(lambda: self.rfile.readline(), b".\r\n"))
                _Smtp.received.append((sender, data))
            elif command == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            self.wfile.write(b"250 ok\r\n")


def _serve(server) -> int:
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


def test_a_final_failure_is_posted_and_mailed_where_the_settings_say(monkeypatch):
    hook, smtp = HTTPServer(("127.0.0.1", 0), _Hook), socketserver.TCPServer(("127.0.0.1", 0), _Smtp)
    try:
        monkeypatch.setenv("KAOHE_NOTIFY_WEBHOOK", f"http://127.0.0.1:{_serve(hook)}/kaohe")
        monkeypatch.setenv("KAOHE_NOTIFY_EMAIL", "duty@example.org")
        monkeypatch.setenv("KAOHE_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("KAOHE_SMTP_PORT", str(_serve(smtp)))
        monkeypatch.setenv("KAOHE_SMTP_FROM", "etl@example.org")
        notify(EVENT)
    finally:
        hook.shutdown(), smtp.shutdown()
        hook.server_close(), smtp.server_close()
    assert _Hook.received == [EVENT]
    ((sender, data),) = _Smtp.received
    mail = message_from_bytes(data)
    assert sender == "etl@example.org" and mail["To"] == "duty@example.org"
    assert mail["Subject"] == "[kaohe] kaohe_daily failed at load (2026-09-30)"
    assert json.loads(mail.get_payload())["error"] == "boom"
