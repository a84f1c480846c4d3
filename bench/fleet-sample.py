#!/usr/bin/env python3
"""bench/fleet-sample.py: every 2 s until STOPFILE exists, reads each agent's
installed certificate (AGENTS_DIR/N/state/certs/device/current/cert.pem) and
appends "unix_time,missing,expired,EXPIRED_IDS" to OUT (ids joined by ';';
an agent counts as missing before its first certificate).
Usage: fleet-sample.py AGENTS_DIR N OUT STOPFILE"""

import os
import ssl
import sys
import time


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    agents, n, out, stop = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    cache = {}  # path -> ((inode, mtime), not_after)
    with open(out, "w") as f:
        f.write("t,missing,expired,expired_ids\n")
        while not os.path.exists(stop):
            now = time.time()
            missing, expired = 0, []
            for i in range(n):
                path = os.path.join(agents, str(i), "state/certs/device/current/cert.pem")
                try:
                    st = os.stat(path)
                    key = (st.st_ino, st.st_mtime_ns)
                    hit = cache.get(path)
                    if hit is None or hit[0] != key:
                        info = ssl._ssl._test_decode_cert(path)
                        hit = (key, ssl.cert_time_to_seconds(info["notAfter"]))
                        cache[path] = hit
                except (OSError, ssl.SSLError, ValueError, KeyError):
                    missing += 1
                    continue
                if hit[1] <= now:
                    expired.append(str(i))
            f.write(f"{now:.1f},{missing},{len(expired)},{';'.join(expired)}\n")
            f.flush()
            time.sleep(max(0.0, 2.0 - (time.time() - now)))


if __name__ == "__main__":
    main()
