#!/usr/bin/env python3
#
# A small storage-management daemon (the HTTP/JSON-RPC front of it, written for
# this corpus): answers JSON-RPC calls over HTTP, with TLS when ssl is on.

import json
import os
import signal
import socket
import ssl
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer
from socketserver import ThreadingMixIn

HERE = os.path.dirname(os.path.abspath(__file__))

config = {
    "ssl": True,
    "ssl_cert": os.path.join(HERE, os.pardir, "tests", "targetd_cert.pem"),
    "ssl_key": os.path.join(HERE, os.pardir, "tests", "targetd_key.pem"),
    "pool_name": "vg-targetd",
}

RUN = True


def pool_list(req):
    return [{"name": config["pool_name"], "size": 10 * 2**30, "free_size": 4 * 2**30, "type": "block"}]


mapping = {"pool_list": pool_list}


class TargetHandler(BaseHTTPRequestHandler):
    def log_message(self, format, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        try:
            request = json.loads(self.rfile.read(length))
            result = mapping[request["method"]](request)
            response = {"jsonrpc": "2.0", "id": request.get("id"), "result": result}
        except KeyError:
            response = {"jsonrpc": "2.0", "id": None, "error": {"code": -32601, "message": "method not found"}}
        body = json.dumps(response).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class HTTPService(ThreadingMixIn, HTTPServer, object):
    """Handle requests in a separate thread each"""

    daemon_threads = True


class TLSHTTPService(HTTPService):
    """Also use TLS to encrypt the connection"""

    def finish_request(self, sock, addr):
        sockssl = ssl.wrap_socket(
            sock,
            server_side=True,
            keyfile=config["ssl_key"],
            certfile=config["ssl_cert"],
            ciphers="HIGH:-aNULL:-eNULL:-PSK",
            suppress_ragged_eofs=True,
        )
        return self.RequestHandlerClass(sockssl, addr, self)

    @staticmethod
    def _verify_ssl_file(f):
        rc = False
        try:
            with open(f) as fh:
                rc = "-----BEGIN" in fh.read()
        except OSError:
            pass
        return rc

    @staticmethod
    def verify_certificates():
        if not TLSHTTPService._verify_ssl_file(config["ssl_cert"]):
            return False
        return TLSHTTPService._verify_ssl_file(config["ssl_key"])


def handler(signum, frame):
    global RUN
    RUN = False


def self_check(port):
    """One pool_list call to ourselves (the check run by `main.py --self-check`)."""
    scheme = "https" if config["ssl"] else "http"
    ctx = ssl.create_default_context(cafile=config["ssl_cert"]) if config["ssl"] else None
    req = urllib.request.Request(
        "%s://localhost:%d/targetrpc" % (scheme, port),
        data=json.dumps({"jsonrpc": "2.0", "id": 1, "method": "pool_list", "params": {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
        return json.loads(resp.read())


def main():

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)

    if config["ssl"]:
        if not TLSHTTPService.verify_certificates():
            print("ssl_cert or ssl_key is missing or not a PEM file")
            return 1
        server_class = TLSHTTPService
        note = "(TLS yes)"
    else:
        server_class = HTTPService
        note = "(TLS no)"

    server = server_class(("localhost", 0), TargetHandler)
    print("started server %s" % note)

    server.timeout = 0.5
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        if "--self-check" in sys.argv:
            answer = self_check(server.server_address[1])
            print("pool_list:", answer["result"])
    except (OSError, ssl.SSLError) as e:
        print("self-check failed: %r" % (e,))
        return 1
    finally:
        server.shutdown()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
