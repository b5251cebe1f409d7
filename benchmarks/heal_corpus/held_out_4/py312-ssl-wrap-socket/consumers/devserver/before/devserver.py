"""A one-line-per-connection TLS status server for local development."""

import socket
import ssl

CERTFILE = "dev_cert.pem"
KEYFILE = "dev_key.pem"


def handle(conn, status):
    tls = ssl.wrap_socket(conn, server_side=True, certfile=CERTFILE, keyfile=KEYFILE)
    try:
        tls.sendall(("status: %s\n" % status).encode())
    finally:
        tls.close()


def serve(listener, status, count=1):
    for _ in range(count):
        conn, _ = listener.accept()
        handle(conn, status)
