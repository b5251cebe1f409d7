"""Start devserver on a free port, connect twice with TLS, check the status lines."""

import socket
import ssl
import sys
import threading

import devserver


def fetch(port):
    ctx = ssl.create_default_context(cafile="dev_cert.pem")
    with socket.create_connection(("localhost", port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            return tls.recv(100).decode().strip()


def main():
    listener = socket.create_server(("127.0.0.1", 0))
    errors = []

    def run():
        try:
            devserver.serve(listener, "green", count=2)
        except Exception as e:  # show the server's failure, then let the client fail
            errors.append(e)
            raise

    t = threading.Thread(target=run, daemon=True)
    t.start()
    try:
        lines = [fetch(listener.getsockname()[1]) for _ in range(2)]
    except (ssl.SSLError, OSError) as e:
        print("client failed: %r" % (e,))
        return 1
    print(lines)
    return 0 if lines == ["status: green"] * 2 and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
