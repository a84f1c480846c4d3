#!/usr/bin/env python3
"""tests/mitm.py: a TLS man-in-the-middle in front of a local Pebble, for
tests/integration/hostile_ca.sh.  It plays a broken CA or a hostile network:
every request is relayed to Pebble and every answer back, except that with
--replace FILE the body of the certificate download (the POST to /certZ/...)
is replaced by the bytes of FILE, and with --after-finalize MODE the order
never completes: "processing" rewrites the finalize answer, and every order
poll that would say "valid", to status "processing" (without a certificate
URL); "stall" accepts every order poll and never answers it.

With --ari FILE it also plays a CA with ACME Renewal Information (RFC
9773), which Pebble 2.4 lacks: the directory it relays (GET /dir) gains
"renewalInfo": "https://localhost:PROXYPORT/renewal-info", and it answers
GET /renewal-info/ID itself from FILE, read again at every request so that
a test can move a window while certkeeper runs.  FILE is JSON:

    {"windows": {"ID": {"start": "2025-06-01T00:00:00Z",
                        "end": "2025-06-02T00:00:00Z",
                        "explanationURL": "https://ca.test/why"},
                 "ID2": {"start_offset": -60, "end_offset": 60}},
     "default": {"start_offset": 3600, "end_offset": 7200},
     "retry_after": 60}

A certificate ID found in "windows" gets its entry, any other ID the
"default" entry; with neither, the answer is 404 with an ACME problem
(an ID that is not base64url "." base64url gets 400).  In an entry, "start"
and "end" are sent as they are (any JSON value, so a test can send
nonsense), "start_offset" / "end_offset" are seconds from now and are sent
as RFC 3339 UTC times; "explanationURL" is passed on when present.
"retry_after" (top level, or per entry to override it) is sent as the
Retry-After header: a number as seconds, a string as it is; absent, no
header.  For a hostile CA an entry may also give "status" (an HTTP status
other than 200 answers with an ACME problem) and "body" (text sent instead
of the JSON window).  FILE that does not read as a JSON object answers 500.

With --profiles NAME[,NAME...] it also plays a CA with ACME profiles,
which Pebble 2.4 lacks: the directory gains "meta": {"profiles": {NAME:
description}}, each newOrder POST is logged as "mitm: newOrder
profile=NAME" (or "profile=(none)") from its JWS payload, and the order
Pebble answers is echoed with that "profile" member.  A newOrder naming a
profile not in the list, or one given with --refuse-profile NAME, is
answered by the proxy itself with 400 invalidProfile (not relayed).

With --misbehave STEP:MODE it plays a CA that follows the protocol (Pebble
relays it) up to STEP and then misbehaves there, at every request of that
step.  STEP is one of directory (GET /dir), nonce (newNonce), account
(newAccount), order (newOrder), authz, challenge, finalize, poll (an order
poll) and cert (the certificate download).  MODE is one of:

    truncate     the body cut in half           malformed  the body not JSON (for
                                                           newNonce: the nonce not
                                                           base64url)
    html         an HTML error page, 200        huge       a 20 MiB body
    endless      a chunked body without end     drip       one byte a second
    ctype        Content-Type text/html         no-location / no-nonce
                                                           that header dropped
    http         every URL of the CA as http:// elsewhere  every URL of the CA
                 (body and Location, Link)      on a closed loopback port
    redirect     307 to the same URL            silent     no answer at all
    processing   the order says "processing", Retry-After: 0 (at finalize: also
                 at every later poll, so that it never completes)

Each misbehaving answer is logged as "mitm: STEP:MODE on METHOD PATH", so
that the test can tell a refusal by certkeeper from a proxy that never got
there.  --no-handshake accepts every connection and never answers it, not
even with a TLS handshake.

It listens on 127.0.0.1 only and connects to 127.0.0.1 only: the upstream
host is fixed here, only Pebble's port is an argument.

    mitm.py --port PROXYPORT --upstream-port PEBBLEPORT --cert PEM --key KEY \
            --cafile CA [--replace FILE] [--after-finalize processing|stall] \
            [--ari FILE] [--profiles NAME,...] [--refuse-profile NAME] \
            [--misbehave STEP:MODE] [--no-handshake]

Each relayed request is logged on stderr as "METHOD PATH -> STATUS", with
"(tampered: N bytes from FILE)" on a replaced certificate download, so that
the test can tell a refusal by certkeeper from a proxy that did nothing.
With --ari, each renewalInfo request is logged as "mitm: ARI ID ->
START..END" (or "-> STATUS (why)" when no window is sent), and each newOrder
POST relayed as "mitm: newOrder replaces=ID" or "mitm: newOrder
replaces=(none)", from its JWS payload.
"""

import argparse
import base64
import binascii
import http.client
import http.server
import json
import re
import ssl
import sys
import threading
import time
import urllib.parse

UPSTREAM_HOST = "127.0.0.1"
# Pebble's paths (wfe.go): certificate download, order, finalize.
CERT_PATH = "/certZ/"
ORDER_PATH = "/my-order/"
FINALIZE_PATH = "/finalize-order/"
# The directory; newOrder's path is learnt from it (Pebble's is /order-plz).
DIR_PATH = "/dir"
NEW_ORDER_PATH = "/order-plz"
# What --ari serves itself: renewalInfo, and the form of a certificate ID.
ARI_PATH = "/renewal-info"
ARI_ID = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
PROBLEM = "urn:ietf:params:acme:error:"
# Hop-by-hop headers (RFC 9110 7.6.1) and those the proxy sets itself.
HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authenticate",
       "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade",
       "expect", "content-length"}
# Nothing an ACME client sends or Pebble answers comes near this.
BODY_MAX = 1 << 20
# --misbehave: each step of the protocol by method and Pebble's path (prefix).
STEPS = {
    "directory": (("GET",), DIR_PATH), "nonce": (("HEAD", "GET"), "/nonce-plz"),
    "account": (("POST",), "/sign-me-up"), "order": (("POST",), NEW_ORDER_PATH),
    "authz": (("POST",), "/authZ/"), "challenge": (("POST",), "/chalZ/"),
    "finalize": (("POST",), FINALIZE_PATH), "poll": (("POST",), ORDER_PATH),
    "cert": (("POST",), CERT_PATH),
}
MODES = ("truncate", "malformed", "html", "huge", "endless", "drip", "ctype", "no-location",
         "no-nonce", "http", "elsewhere", "redirect", "silent", "processing")
HUGE = 20 << 20
# --misbehave elsewhere: a loopback port nothing listens on (discard's, 9).
ELSEWHERE = b"localhost:9"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def printable(text):
    """text with every character outside printable ASCII as "?", for the log."""
    return "".join(c if " " <= c <= "~" else "?" for c in text)


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(t)))


def load_ari(path):
    """The --ari FILE as a dict; raises OSError or ValueError."""
    with open(path, encoding="utf-8") as f:
        conf = json.load(f)
    if not isinstance(conf, dict):
        raise ValueError("not a JSON object")
    for key in ("windows", "default"):
        if not isinstance(conf.get(key, {}), dict):
            raise ValueError('"%s" is not an object' % key)
    return conf


def order_payload(body):
    """The decoded payload of a JWS request body, as a dict; raises ValueError and the like."""
    payload = json.loads(body)["payload"]
    order = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    if not isinstance(order, dict):
        raise ValueError("payload is not an object")
    return order


def order_profile(body):
    """The profile a newOrder JWS names: the name, None for none, or raises ValueError."""
    try:
        profile = order_payload(body).get("profile")
    except (KeyError, TypeError, AttributeError, binascii.Error) as e:
        raise ValueError(str(e)) from e
    if profile is not None and not isinstance(profile, str):
        raise ValueError("profile is not a string")
    return profile


def order_replaces(body):
    """What a newOrder JWS asks to replace: the ID, "(none)" or "(undecodable: why)"."""
    try:
        payload = json.loads(body)["payload"]
        order = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        replaces = order.get("replaces")
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as e:
        return "(undecodable: %s)" % printable(str(e))
    if replaces is None:
        return "(none)"
    return printable(replaces if isinstance(replaces, str) else json.dumps(replaces))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ck-mitm"

    def setup(self):
        # The handshake runs here, in the connection's own thread, so a port
        # probe that connects and closes cannot stall the accept loop.
        if self.server.no_handshake:
            log("mitm: connection accepted, never answered (--no-handshake)")
            self.server.stop.wait()
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

    def send_body(self, status, data, content_type, headers=()):
        self.send_response_only(status)
        self.send_header("Content-Type", content_type)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_problem(self, status, kind, detail, headers=()):
        doc = {"type": PROBLEM + kind, "detail": detail, "status": status}
        self.send_body(status, json.dumps(doc).encode(), "application/problem+json", headers)

    def answer_ari(self):
        """GET /renewal-info/ID, answered from the --ari FILE (see the docstring)."""
        cert_id = urllib.parse.urlsplit(self.path).path[len(ARI_PATH) + 1:]
        safe = printable(cert_id)
        try:
            self.read_body()
            conf = load_ari(self.server.ari)
        except (OSError, ValueError) as e:
            log("mitm: ARI %s -> 500 (cannot use %s: %s)" % (safe, self.server.ari, e))
            self.send_problem(500, "serverInternal", "renewal information unavailable")
            return
        if not ARI_ID.fullmatch(cert_id):
            log("mitm: ARI %s -> 400 (not a certificate identifier)" % safe)
            self.send_problem(400, "malformed", "not an ARI certificate identifier")
            return
        entry = conf.get("windows", {}).get(cert_id, conf.get("default"))
        if not isinstance(entry, dict):
            log("mitm: ARI %s -> 404 (no window)" % safe)
            self.send_problem(404, "malformed", "no renewal information for this certificate")
            return
        headers = []
        retry = entry.get("retry_after", conf.get("retry_after"))
        if retry is not None:
            headers.append(("Retry-After", str(retry)))
        status = entry.get("status", 200)
        window = {}
        try:
            if not isinstance(status, int) or not 200 <= status <= 599:
                raise ValueError("status %r is not an HTTP status from 200 to 599" % (status,))
            now = time.time()
            for edge in ("start", "end"):
                if edge in entry:
                    window[edge] = entry[edge]
                elif edge + "_offset" in entry:
                    window[edge] = rfc3339(now + entry[edge + "_offset"])
        except (TypeError, ValueError, OverflowError, OSError) as e:
            log("mitm: ARI %s -> 500 (cannot use %s: %s)" % (safe, self.server.ari, e))
            self.send_problem(500, "serverInternal", "renewal information unavailable")
            return
        if status != 200 and "body" not in entry:
            log("mitm: ARI %s -> %d (as FILE says)" % (safe, status))
            self.send_problem(status, "serverInternal" if status >= 500 else "malformed",
                              "renewal information refused (mitm --ari)", headers)
            return
        if "body" in entry:
            data = str(entry["body"]).encode()
            log("mitm: ARI %s -> %d (body from FILE: %d bytes)" % (safe, status, len(data)))
            self.send_body(status, data, "application/json", headers)
            return
        doc = {"suggestedWindow": window}
        if "explanationURL" in entry:
            doc["explanationURL"] = entry["explanationURL"]
        self.send_body(200, json.dumps(doc).encode(), "application/json", headers)
        log("mitm: ARI %s -> %s..%s" % (safe, printable(str(window.get("start"))),
                                         printable(str(window.get("end")))))

    def add_renewal_info(self, data):
        """The relayed directory with renewalInfo and/or meta.profiles; learns newOrder's path."""
        directory = json.loads(data)
        new_order = directory.get("newOrder")
        if isinstance(new_order, str):
            self.server.new_order_path = urllib.parse.urlsplit(new_order).path
        if self.server.ari is not None:
            directory["renewalInfo"] = "https://localhost:%d%s" % (self.server.port, ARI_PATH)
        if self.server.profiles is not None:
            meta = directory.setdefault("meta", {})
            meta["profiles"] = {p: "profile %s (mitm --profiles)" % p
                                for p in self.server.profiles}
        return json.dumps(directory, indent=2).encode()

    def check_profile(self, body):
        """For --profiles: logs newOrder's profile; returns it, or False when answered here."""
        try:
            profile = order_profile(body)
        except ValueError as e:
            log("mitm: newOrder profile=(undecodable: %s)" % printable(str(e)))
            return None
        log("mitm: newOrder profile=%s" % ("(none)" if profile is None else printable(profile)))
        if profile is not None and (profile not in self.server.profiles
                                    or profile in self.server.refuse_profiles):
            self.send_problem(400, "invalidProfile",
                              "profile %s is not available (mitm)" % printable(profile))
            log("mitm: POST %s -> 400 (invalidProfile)" % self.path)
            return False
        return profile

    def misbehaving(self):
        """The --misbehave MODE when this request is its STEP, else None."""
        if self.server.misbehave is None:
            return None
        step, mode = self.server.misbehave
        methods, prefix = STEPS[step]
        path = urllib.parse.urlsplit(self.path).path
        if step == "order":
            prefix = self.server.new_order_path
        matches = self.command in methods and (
            path == prefix or (prefix.endswith("/") and path.startswith(prefix)))
        # finalize:processing holds every later poll of the order too.
        if (not matches and step == "finalize" and mode == "processing" and self.server.finalized
                and self.command == "POST" and path.startswith(ORDER_PATH)):
            matches = True
        if not matches:
            return None
        if step == "finalize":
            self.server.finalized = True
        log("mitm: %s:%s on %s %s" % (step, mode, self.command, self.path))
        return mode

    def misbehave(self, mode, status, data, headers):
        """Spoils a relayed answer as MODE says; returns (status, data, headers), or None when sent here."""
        # The relayed Location and Link name the proxy, as they will be sent.
        headers = [(n, self.rewrite(v.encode("latin-1")).decode("latin-1"))
                   if n.lower() in ("location", "link") else (n, v) for n, v in headers]
        if mode == "truncate":
            data = data[:len(data) // 2]
        elif mode == "malformed" and self.command == "HEAD":
            # newNonce has no body: its nonce is what it answers.
            headers = [(n, v) for n, v in headers if n.lower() != "replay-nonce"] + \
                [("Replay-Nonce", "not/a+nonce=\tat all")]
        elif mode == "malformed":
            data = b'{"status": "valid", "identifiers": [{"type": "dns",, ]'
        elif mode == "html":
            data = b"<html><body><h1>502 Bad Gateway</h1></body></html>\n"
            headers = [(n, v) for n, v in headers if n.lower() != "content-type"] + \
                [("Content-Type", "text/html")]
        elif mode == "ctype":
            headers = [(n, v) for n, v in headers if n.lower() != "content-type"] + \
                [("Content-Type", "text/html")]
        elif mode in ("no-location", "no-nonce"):
            drop = "location" if mode == "no-location" else "replay-nonce"
            headers = [(n, v) for n, v in headers if n.lower() != drop]
        elif mode in ("http", "elsewhere"):
            own = self.server.own_authority
            if mode == "http":
                old, new = b"https://" + own, b"http://" + own
            else:
                old, new = b"https://" + own, b"https://" + ELSEWHERE
            data = data.replace(old, new)
            headers = [(n, v.encode("latin-1").replace(old, new).decode("latin-1"))
                       if n.lower() in ("location", "link") else (n, v) for n, v in headers]
        elif mode == "processing":
            try:
                order = json.loads(data)
                order["status"] = "processing"
                order.pop("certificate", None)
                data = json.dumps(order).encode()
            except (ValueError, TypeError, AttributeError) as e:
                log("mitm: processing: not an order: %s" % e)
            headers = [(n, v) for n, v in headers if n.lower() != "retry-after"] + \
                [("Retry-After", "0")]
        elif mode in ("huge", "endless", "drip"):
            self.send_response_only(status)
            for name, value in headers:
                if name.lower() not in HOP:
                    self.send_header(name, value)
            try:
                if mode == "huge":
                    self.send_header("Content-Length", str(HUGE))
                    self.end_headers()
                    chunk = b" " * 65536
                    for _ in range(HUGE // len(chunk)):
                        self.wfile.write(chunk)
                elif mode == "endless":
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    chunk = b"%x\r\n%s\r\n" % (4096, b"[" * 4096)
                    while not self.server.stop.is_set():
                        self.wfile.write(chunk)
                else:
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.flush()
                    for i in range(len(data)):
                        self.wfile.write(data[i:i + 1])
                        self.wfile.flush()
                        if self.server.stop.wait(1):
                            break
            except OSError as e:
                log("mitm: %s: the client went away: %s" % (mode, e))
            self.close_connection = True
            return None
        return status, data, headers

    def relay(self):
        try:
            body = self.read_body()
        except (ValueError, OSError) as e:
            log("mitm: %s %s: cannot read the request: %s" % (self.command, self.path, e))
            self.close_connection = True
            return
        mode = self.misbehaving()
        if mode == "silent":
            self.server.stop.wait()
            self.close_connection = True
            return
        if mode == "redirect":
            self.send_response_only(307)
            self.send_header("Location", "https://%s%s" % (
                self.server.own_authority.decode(), self.path))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        is_new_order = (self.command == "POST" and
                        urllib.parse.urlsplit(self.path).path == self.server.new_order_path)
        if self.server.ari is not None and is_new_order:
            log("mitm: newOrder replaces=%s" % order_replaces(body))
        profile = None
        if self.server.profiles is not None and is_new_order:
            profile = self.check_profile(body)
            if profile is False:
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
        if ((self.server.ari is not None or self.server.profiles is not None)
                and self.command == "GET"
                and urllib.parse.urlsplit(self.path).path == DIR_PATH and resp.status == 200):
            try:
                data = self.add_renewal_info(data)
                note = " (directory extended)"
            except (ValueError, AttributeError) as e:
                note = " (directory not extended: %s)" % e
        if profile and 200 <= resp.status < 300:
            try:
                order = json.loads(data)
                order["profile"] = profile
                data = json.dumps(order).encode()
                note = " (profile echoed)"
            except (ValueError, TypeError) as e:
                note = " (profile not echoed: %s)" % e
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

        status = resp.status
        if mode is not None:
            spoilt = self.misbehave(mode, status, data, headers)
            if spoilt is None:
                return
            status, data, headers = spoilt
        bodyless = (self.command == "HEAD" or status in (204, 304)
                    or 100 <= status < 200)
        self.send_response_only(status, resp.reason)
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
        log("mitm: %s %s -> %d%s" % (self.command, self.path, status, note))

    def do_GET(self):
        if self.server.ari is not None and self.path.startswith(ARI_PATH + "/"):
            self.answer_ari()
        else:
            self.relay()

    do_HEAD = do_POST = relay


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
    p.add_argument("--ari", metavar="FILE",
                   help="advertise renewalInfo and answer it from FILE (see above)")
    p.add_argument("--profiles", metavar="NAME,...",
                   help="advertise these ACME profiles and check newOrder's (see above)")
    p.add_argument("--refuse-profile", metavar="NAME", action="append", default=[],
                   help="answer a newOrder for NAME with invalidProfile")
    p.add_argument("--misbehave", metavar="STEP:MODE",
                   help="follow the protocol up to STEP, then misbehave there (see above)")
    p.add_argument("--no-handshake", action="store_true",
                   help="accept every connection and never answer it")
    a = p.parse_args()
    misbehave = None
    if a.misbehave is not None:
        misbehave = tuple(a.misbehave.split(":", 1))
        if len(misbehave) != 2 or misbehave[0] not in STEPS or misbehave[1] not in MODES:
            p.error("--misbehave %s: not STEP:MODE (steps: %s; modes: %s)" % (
                a.misbehave, ", ".join(STEPS), ", ".join(MODES)))

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
    srv.port = a.port
    srv.ari = a.ari
    srv.profiles = a.profiles.split(",") if a.profiles is not None else None
    srv.refuse_profiles = set(a.refuse_profile)
    srv.new_order_path = NEW_ORDER_PATH
    srv.misbehave = misbehave
    srv.finalized = False
    srv.no_handshake = a.no_handshake
    if a.replace is not None:
        open(a.replace, "rb").close()  # fail now, not at the download
    if a.ari is not None:
        try:
            load_ari(a.ari)  # fail now, not at the first renewalInfo request
        except ValueError as e:
            raise OSError("--ari %s: %s" % (a.ari, e)) from e
    log("mitm: ready on 127.0.0.1:%d -> %s:%d, %s%s" % (
        a.port, UPSTREAM_HOST, a.upstream_port,
        "replacing certificate downloads with " + a.replace if a.replace else "passing through",
        ", renewalInfo from " + a.ari if a.ari else ""))
    srv.serve_forever()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
    except OSError as e:
        log("mitm: %s" % e)
        sys.exit(1)
