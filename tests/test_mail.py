"""Sign-in links are mailed when SMTP is configured (a real SMTP conversation with a local test server)."""

from __future__ import annotations

import socketserver
import threading

from .conftest import login, make_app


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP to accept one message: EHLO, MAIL, RCPT, DATA, QUIT."""

    def handle(self):
        self.wfile.write(b"220 test ESMTP\r\n")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode().strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self.wfile.write(b"250-test\r\n250 OK\r\n")
            elif command.startswith(("MAIL", "RCPT", "RSET", "NOOP")):
                self.wfile.write(b"250 OK\r\n")
            elif command == "DATA":
                self.wfile.write(b"354 go on\r\n")
                body = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    body.append(data)
                self.server.messages.append(b"".join(body).decode())
                self.wfile.write(b"250 queued\r\n")
            elif command == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"502 not implemented\r\n")


def test_new_account_link_is_mailed(database_url, tmp_path, people):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.messages = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        app = make_app(
            database_url,
            tmp_path,
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=server.server_address[1],
            MAIL_FROM="peerpath@example.org",
        )
        client = app.test_client()
        login(client, "coord")
        response = client.post(
            "/manage/users/new",
            data={"name": "Mia Mail", "email": "mia@example.org", "role": "trainer", "site": "elbtal"},
        )
        html = response.get_data(as_text=True)
        assert "The link was also sent by email." in html
        assert len(server.messages) == 1
        message = server.messages[0]
        assert "To: mia@example.org" in message and "/set-password/" in message
    finally:
        server.shutdown()
        server.server_close()


def test_mail_failure_is_not_fatal(database_url, tmp_path, people):
    app = make_app(database_url, tmp_path, SMTP_HOST="127.0.0.1", SMTP_PORT=1)  # nothing listens there
    client = app.test_client()
    login(client, "coord")
    response = client.post(
        "/manage/users/new", data={"name": "No Mail", "email": "no@example.org", "role": "trainer", "site": "elbtal"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "/set-password/" in html and "also sent by email" not in html
