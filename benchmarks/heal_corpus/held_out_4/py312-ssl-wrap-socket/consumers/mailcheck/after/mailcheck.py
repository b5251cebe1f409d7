"""Check that a mail server answers its greeting over implicit TLS (port 465 style)."""

import socket
import ssl


def fetch_greeting(host, port, cafile=None, timeout=5.0):
    raw = socket.create_connection((host, port), timeout=timeout)
    context = ssl.create_default_context(cafile=cafile)
    tls = context.wrap_socket(raw, server_hostname=host)
    try:
        return tls.recv(1024).decode("ascii", "replace").strip()
    finally:
        tls.close()
