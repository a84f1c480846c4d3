#!/usr/bin/env python3
"""bench/fleet-report.py: the figures of bench/fleet from Pebble's log, the
sampler's file and the agents' attempt counts: RESULTS/fleet.csv (per
second: requests, their 10-s average, agents expired) and fleet.md.
Usage: fleet-report.py PEBBLE_LOG SAMPLES ATTEMPTS RESULTS T_START T_STEADY
       T_STOP T_CONT T_END AGENTS ALIVE MACHINE VERSION PARAMS"""

import csv
import os
import re
import statistics
import sys
import time

LINE = re.compile(r"^Pebble (\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) (GET|HEAD|POST) /")
DOWNLOAD = re.compile(r"^Pebble \S+ \S+ POST /certZ/")


def main():
    if len(sys.argv) != 15:
        sys.exit(__doc__)
    (log, samples, attempts, results, t_start, t_steady, t_stop, t_cont, t_end,
     agents, alive, machine, version, params) = sys.argv[1:]
    t_start, t_steady, t_stop, t_cont, t_end = map(int, (t_start, t_steady, t_stop, t_cont, t_end))
    agents, alive = int(agents), int(alive)

    per_sec = [0] * (t_end - t_start + 1)
    # Certificate downloads (seconds into the run): when they stop long before
    # the end, the CA stopped issuing (Pebble's lock cycle), whatever the
    # agents do.
    downloads = []
    with open(log, errors="replace") as f:
        for line in f:
            m = LINE.match(line)
            if not m:
                continue
            t = int(time.mktime(time.strptime(m.group(1), "%Y/%m/%d %H:%M:%S")))
            if t_start <= t <= t_end:
                per_sec[t - t_start] += 1
                if DOWNLOAD.match(line):
                    downloads.append(t - t_start)
    avg10 = [sum(per_sec[max(0, i - 9):i + 1]) / len(per_sec[max(0, i - 9):i + 1])
             for i in range(len(per_sec))]

    expired_at = [0] * len(per_sec)
    after_ids, steady_ids, outage_ids = set(), set(), set()
    last_expired_after = None
    with open(samples, newline="") as f:
        for r in csv.DictReader(f):
            t = float(r["t"])
            ids = set(x for x in r["expired_ids"].split(";") if x)
            i = int(t) - t_start
            if 0 <= i < len(expired_at):
                expired_at[i] = max(expired_at[i], len(ids))
            if t_steady <= t < t_stop:
                steady_ids |= ids
            elif t_stop <= t < t_cont:
                outage_ids |= ids
            elif t >= t_cont:
                after_ids |= ids
                if ids:
                    last_expired_after = t - t_cont

    # The sampler reads every 2 s: a second without a sample shows the last one.
    seen = [False] * len(expired_at)
    with open(samples, newline="") as f:
        for r in csv.DictReader(f):
            i = int(float(r["t"])) - t_start
            if 0 <= i < len(seen):
                seen[i] = True
    for i in range(1, len(expired_at)):
        if not seen[i]:
            expired_at[i] = expired_at[i - 1]

    with open(os.path.join(results, "fleet.csv"), "w") as f:
        f.write("second,requests,requests_avg10,agents_expired\n")
        for i, n in enumerate(per_sec):
            f.write(f"{i},{n},{avg10[i]:.2f},{expired_at[i]}\n")

    steady = per_sec[t_steady - t_start:t_stop - t_start]
    after = per_sec[t_cont - t_start:]
    after10 = avg10[t_cont - t_start + 9:] or [0]
    mean = statistics.mean(steady) if steady else 0
    peak1 = max(after) if after else 0
    peak10 = max(after10)
    with open(attempts) as f:
        att = [tuple(map(int, line.split())) for line in f if line.strip()]
    orders = [s + fl for s, fl in att]
    ok = [s for s, _ in att]

    def r(x):
        return f"{x / mean:.2f}" if mean else "-"

    out = [
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(t_start))} on {machine}; {version}.",
        f"{agents} agents ({alive} still running at the end), {params}; Pebble frozen (SIGSTOP) "
        f"from {t_stop - t_start} s to {t_cont - t_start} s.",
        "",
        "| figure | this run | target |",
        "| --- | ---: | --- |",
        f"| CA requests per second, steady state (mean) | {mean:.1f} | |",
        f"| after the CA returns: peak of 10-s averages | {peak10:.1f} ({r(peak10)}x the mean) | at most 2x |",
        f"| after the CA returns: peak second | {peak1} ({r(peak1)}x the mean) | |",
        f"| agents with an expired certificate in steady state | {len(steady_ids)} | none |",
        f"| agents with an expired certificate during the outage | {len(outage_ids)} | |",
        f"| agents with an expired certificate after the CA returned | {len(after_ids)}"
        + (f" (the last {last_expired_after:.0f} s after)" if last_expired_after is not None else "")
        + " | none |",
        f"| certificates downloaded in steady state / after the CA returned | "
        f"{sum(1 for d in downloads if t_steady - t_start <= d < t_stop - t_start)} / "
        f"{sum(1 for d in downloads if d >= t_cont - t_start)}"
        + (f" (the last at {max(downloads)} s of {t_end - t_start} s)" if downloads else "")
        + " | |",
        f"| orders per agent (successful + failed attempts), min / median / max | "
        f"{min(orders)} / {statistics.median(orders):g} / {max(orders)} | |",
        f"| successful renewals per agent, min / median / max | "
        f"{min(ok)} / {statistics.median(ok):g} / {max(ok)} | |",
        "",
    ]
    with open(os.path.join(results, "fleet.md"), "w") as f:
        f.write("\n".join(out))


if __name__ == "__main__":
    main()
