"""Run a local TLS greeting server and check mailcheck against it."""

import os
import socket
import ssl
import sys
import threading

from mailcheck import fetch_greeting

HERE = os.path.dirname(os.path.abspath(__file__))
CERT, KEY = os.path.join(HERE, "test_cert.pem"), os.path.join(HERE, "test_key.pem")


def serve_once(listener, ctx):
    conn, _ = listener.accept()
    try:
        with ctx.wrap_socket(conn, server_side=True) as tls:
            tls.sendall(b"220 mail.localhost ESMTP ready\r\n")
    except (ssl.SSLError, OSError):
        pass


def main():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(CERT, KEY)
    listener = socket.create_server(("127.0.0.1", 0))
    t = threading.Thread(target=serve_once, args=(listener, ctx), daemon=True)
    t.start()
    greeting = fetch_greeting("localhost", listener.getsockname()[1], cafile=CERT)
    print(greeting)
    t.join(5)
    listener.close()
    return 0 if greeting.startswith("220 ") else 1


if __name__ == "__main__":
    sys.exit(main())
