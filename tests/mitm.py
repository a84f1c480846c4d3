#!/usr/bin/env python3
"""tests/mitm.py: a TLS man-in-the-middle in front of a local Pebble, for
tests/integration/hostile_ca.sh.  It plays a broken CA or a hostile network:
every request is relayed to Pebble and every answer back, except that with
--replace FILE the body of the certificate download (the POST to /certZ/...)
is replaced by the bytes of FILE, and with --after-finalize MODE the order
never completes: "processing" rewrites the finalize answer, and every order
poll that would say "valid", to status "processing" (without a certificate
URL); "stall" accepts every order poll and never answers it.

It listens on 127.0.0.1 only and connects to 127.0.0.1 only: the upstream
host is fixed here, only Pebble's port is an argument.

    mitm.py --port PROXYPORT --upstream-port PEBBLEPORT --cert PEM --key KEY \
            --cafile CA [--replace FILE] [--after-finalize processing|stall]

Each relayed request is logged on stderr as "METHOD PATH -> STATUS", with
"(tampered: N bytes from FILE)" on a replaced certificate download, so that
the test can tell a refusal by certkeeper from a proxy that did nothing.
"""

import argparse
import http.client
import http.server
import json
import ssl
import sys
import threading

UPSTREAM_HOST = "127.0.0.1"
# Pebble's paths (wfe.go): certificate download, order, finalize.
CERT_PATH = "/certZ/"
ORDER_PATH = "/my-order/"
FINALIZE_PATH = "/finalize-order/"
# Hop-by-hop headers (RFC 9110 7.6.1) and those the proxy sets itself.
HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authenticate",
       "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade",
       "expect", "content-length"}
# Nothing an ACME client sends or Pebble answers comes near this.
BODY_MAX = 1 << 20


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ck-mitm"

    def setup(self):
        # The handshake runs here, in the connection's own thread, so a port
        # probe that connects and closes cannot stall the accept loop.
        self.request.settimeout(30)
        self.request = self.server.tls.wrap_socket(self.request, server_side=True)
        super().setup()

    def log_message(self, fmt, *args):
        log("mitm: " + fmt % args)

    def read_body(self):
        """The request body (Content-Length or chunked), at most BODY_MAX bytes."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            body = b""
            while True:
                size = int(self.rfile.readline(100).split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline(1000) not in (b"\r\n", b"\n", b""):
                        pass
                    return body
                body += self.rfile.read(size)
                self.rfile.readline(10)
                if len(body) > BODY_MAX:
                    raise ValueError("request body too large")
        n = int(self.headers.get("Content-Length", "0"))
        if n < 0 or n > BODY_MAX:
            raise ValueError("bad Content-Length %d" % n)
        return self.rfile.read(n)

    def rewrite(self, data):
        return data.replace(self.server.upstream_authority, self.server.own_authority)

    def relay(self):
        try:
            body = self.read_body()
        except (ValueError, OSError) as e:
            log("mitm: %s %s: cannot read the request: %s" % (self.command, self.path, e))
            self.close_connection = True
            return
        if (self.server.after_finalize == "stall" and self.command == "POST"
                and self.path.startswith(ORDER_PATH)):
            log("mitm: %s %s -> (stalled: no answer)" % (self.command, self.path))
            # Hold the connection open, unanswered, until the client gives up.
            self.server.stop.wait()
            self.close_connection = True
            return
        conn = http.client.HTTPSConnection(UPSTREAM_HOST, self.server.upstream_port,
                                           timeout=30, context=self.server.upstream_tls)
        try:
            # The client's own Host goes upstream: Pebble checks the JWS "url"
            # against it and builds its URLs from it.
            conn.putrequest(self.command, self.path, skip_host=True,
                            skip_accept_encoding=True)
            for name, value in self.headers.items():
                if name.lower() not in HOP:
                    conn.putheader(name, value)
            if body or self.command in ("POST", "PUT"):
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body if body else None)
            resp = conn.getresponse()
            data = resp.read(BODY_MAX + 1)
            headers = resp.getheaders()
        except (OSError, http.client.HTTPException) as e:
            log("mitm: %s %s: upstream failed: %s" % (self.command, self.path, e))
            self.send_error(502, "upstream failed")
            return
        finally:
            conn.close()
        if len(data) > BODY_MAX:
            log("mitm: %s %s: upstream body too large" % (self.command, self.path))
            self.send_error(502, "upstream body too large")
            return

        note = ""
        data = self.rewrite(data)
        if (self.server.replace is not None and self.command == "POST"
                and self.path.startswith(CERT_PATH) and 200 <= resp.status < 300):
            with open(self.server.replace, "rb") as f:
                data = f.read()
            note = " (tampered: %d bytes from %s)" % (len(data), self.server.replace)
        if (self.server.after_finalize == "processing" and self.command == "POST"
                and 200 <= resp.status < 300
                and (self.path.startswith(FINALIZE_PATH) or self.path.startswith(ORDER_PATH))):
            order = json.loads(data)
            if self.path.startswith(FINALIZE_PATH) or order.get("status") == "valid":
                order["status"] = "processing"
                order.pop("certificate", None)
                data = json.dumps(order).encode()
                note = " (held processing)"

        bodyless = (self.command == "HEAD" or resp.status in (204, 304)
                    or 100 <= resp.status < 200)
        self.send_response_only(resp.status, resp.reason)
        for name, value in headers:
            low = name.lower()
            if low in HOP:
                continue
            if low in ("location", "link"):
                value = self.rewrite(value.encode("latin-1")).decode("latin-1")
            self.send_header(name, value)
        if not bodyless:
            self.send_header("Content-Length", str(len(data)))
        elif self.command == "HEAD" and resp.getheader("Content-Length") is not None:
            self.send_header("Content-Length", resp.getheader("Content-Length"))
        self.end_headers()
        if not bodyless:
            self.wfile.write(data)
        log("mitm: %s %s -> %d%s" % (self.command, self.path, resp.status, note))

    do_GET = do_HEAD = do_POST = relay


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # A probe that closes before the TLS handshake is not worth a traceback.
        log("mitm: connection from %s:%d dropped: %s" % (client_address[0], client_address[1],
                                                         sys.exc_info()[1]))


def main():
    p = argparse.ArgumentParser(description="TLS man-in-the-middle in front of a local Pebble")
    p.add_argument("--port", type=int, required=True, help="port to listen on (127.0.0.1)")
    p.add_argument("--upstream-port", type=int, required=True,
                   help="Pebble's port on 127.0.0.1")
    p.add_argument("--cert", required=True, help="listener certificate (PEM)")
    p.add_argument("--key", required=True, help="listener private key (PEM)")
    p.add_argument("--cafile", required=True, help="root that signed Pebble's listener")
    p.add_argument("--replace", metavar="FILE",
                   help="serve FILE's bytes as every certificate download")
    p.add_argument("--after-finalize", choices=("processing", "stall"),
                   help="never let a finalized order complete")
    a = p.parse_args()

    srv = Server(("127.0.0.1", a.port), Handler)
    srv.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    srv.tls.load_cert_chain(a.cert, a.key)
    srv.tls.set_alpn_protocols(["http/1.1"])
    srv.upstream_tls = ssl.create_default_context(cafile=a.cafile)
    srv.upstream_port = a.upstream_port
    srv.upstream_authority = ("localhost:%d" % a.upstream_port).encode()
    srv.own_authority = ("localhost:%d" % a.port).encode()
    srv.replace = a.replace
    srv.after_finalize = a.after_finalize
    srv.stop = threading.Event()
    if a.replace is not None:
        open(a.replace, "rb").close()  # fail now, not at the download
    log("mitm: ready on 127.0.0.1:%d -> %s:%d, %s" % (
        a.port, UPSTREAM_HOST, a.upstream_port,
        "replacing certificate downloads with " + a.replace if a.replace else "passing through"))
    srv.serve_forever()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
    except OSError as e:
        log("mitm: %s" % e)
        sys.exit(1)
