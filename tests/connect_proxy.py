#!/usr/bin/env python3
"""tests/connect_proxy.py: a minimal HTTP CONNECT proxy for the tests.

Listens on 127.0.0.1:PORT, accepts CONNECT HOST:PORT for loopback targets
only (localhost, 127.0.0.1, ::1), logs one line per tunnel to LOG
("CONNECT HOST:PORT") and relays bytes both ways until either side closes.
Anything else is answered 405; a non-loopback target 403.

usage: connect_proxy.py PORT LOG
"""
import select
import socket
import sys
import threading

LOOPBACK = {"localhost", "127.0.0.1", "::1", "[::1]"}


def relay(a, b):
    socks = [a, b]
    try:
        while True:
            readable, _, _ = select.select(socks, [], [], 60)
            if not readable:
                return
            for s in readable:
                data = s.recv(65536)
                if not data:
                    return
                (b if s is a else a).sendall(data)
    except OSError:
        return
    finally:
        a.close()
        b.close()


def handle(conn, log):
    try:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = conn.recv(4096)
            if not chunk or len(head) > 16384:
                conn.close()
                return
            head += chunk
        line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = line.split()
        if len(parts) != 3 or parts[0] != "CONNECT":
            conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            conn.close()
            return
        host, _, port = parts[1].rpartition(":")
        if host not in LOOPBACK or not port.isdigit():
            conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            conn.close()
            return
        with open(log, "a") as f:
            f.write("CONNECT %s:%s\n" % (host, port))
        up = socket.create_connection((host.strip("[]"), int(port)), timeout=10)
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        rest = head.split(b"\r\n\r\n", 1)[1]
        if rest:
            up.sendall(rest)
        relay(conn, up)
    except OSError:
        conn.close()


def main():
    port, log = int(sys.argv[1]), sys.argv[2]
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(16)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=handle, args=(conn, log), daemon=True).start()


if __name__ == "__main__":
    main()
