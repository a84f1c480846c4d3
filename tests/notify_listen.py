#!/usr/bin/env python3
"""tests/notify_listen.py: stands in for the service manager's notification
socket (sd_notify(3)): binds a Unix datagram socket at PATH and writes every
message it receives to stdout, one per line with newlines shown as "|",
flushed, so a test can wait for READY=1, STATUS=... and WATCHDOG=1.

    notify_listen.py PATH
"""

import os
import socket
import sys


def main():
    path = sys.argv[1]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    try:
        while True:
            msg = s.recv(4096)
            print(msg.decode("utf-8", "replace").replace("\n", "|"), flush=True)
    finally:
        os.unlink(path)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
