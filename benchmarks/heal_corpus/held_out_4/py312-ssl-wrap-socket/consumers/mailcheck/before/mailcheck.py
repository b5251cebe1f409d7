"""Check that a mail server answers its greeting over implicit TLS (port 465 style)."""

import socket
import ssl


def fetch_greeting(host, port, cafile=None, timeout=5.0):
    raw = socket.create_connection((host, port), timeout=timeout)
    tls = ssl.wrap_socket(raw, ca_certs=cafile, cert_reqs=ssl.CERT_REQUIRED)
    try:
        return tls.recv(1024).decode("ascii", "replace").strip()
    finally:
        tls.close()
