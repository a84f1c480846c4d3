#!/usr/bin/env python3
"""bench/summarize.py: turns the CSV files of bench/renewal into the Markdown
table (renewal.md) and the data file of the chart (renewal-summary.dat).
The rows of curl-fetch (one plain curl fetch of the directory, run in every
round) give the RSS target, not a row of the table.
Usage: summarize.py renewal RESULTS_DIR MACHINE VERSION"""

import csv
import os
import statistics
import sys
import time

LABELS = {
    "certkeeper": "certkeeper (software key)",
    "certkeeper-nofsync": "certkeeper (software key), fsync a no-op: not durable",
    "certkeeper-tpm": "certkeeper (TPM key, swtpm)",
    "uacme": "uacme 1.7.4 (-t EC)",
    "lego": "lego 4.9.1 (--key-type ec256)",
    "certbot": "certbot 2.1.0 (--key-type ecdsa)",
    "floor": "floor: curl, as many requests (directory GETs), 1 connection",
}

# Per-command latencies on a discrete TPM (ms): typical and slow.  The
# signature figures are published; the others are stated assumptions.
TPM_MODEL = [
    # command, count key, typical ms, slow ms, source
    ("Sign (ECDSA P-256)", "sign", 200, 600,
     "Chrome's field study of TPM ECDSA P-256 signatures, p50 200 ms and p95 600 ms "
     "(quoted in S. Kristiansen, \"TPM performance\", stiankri.substack.com)"),
    ("CreatePrimary (ECC P-256)", "primary", 200, 600,
     "assumed equal to a signature (one ECC key generation); not measured"),
    ("Create (ECC P-256)", "create", 200, 600,
     "assumed equal to a signature (one ECC key generation); not measured"),
    ("Load", "load", 50, 100, "assumed (unwrap: AES + HMAC); not measured"),
    ("FlushContext", "flush", 5, 10, "assumed; not measured"),
    ("Startup", "startup", 5, 10, "assumed; not measured"),
]


def read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def spread(values, scale, fmt):
    med = statistics.median(values) * scale
    return med, f"{fmt.format(med)} ({fmt.format(min(values) * scale)}-{fmt.format(max(values) * scale)})"


def ratio(a, b):
    return f"{a / b:.2f}x" if b else "-"


def renewal(results, machine, version):
    runs = read(os.path.join(results, "renewal.csv"))
    counts = {r["tool"]: r for r in read(os.path.join(results, "renewal-counts.csv"))}
    cg = {r["tool"]: int(r["instructions"]) for r in read(os.path.join(results, "callgrind.csv"))
          if r["instructions"]}
    tools = []
    for r in runs:
        if r["tool"] not in tools:
            tools.append(r["tool"])
    fetch_rss = [int(r["maxrss_kib"]) for r in runs if r["tool"] == "curl-fetch"]
    tools = [t for t in tools if t != "curl-fetch"]
    ca_path = os.path.join(results, "renewal-ca.csv")
    ca_rows = read(ca_path) if os.path.exists(ca_path) else []
    ca = {r["tool"]: float(r["ca_cpu_ms"]) for r in ca_rows}
    med = {}
    cells = {}
    failures = {}
    for t in tools:
        rows = [r for r in runs if r["tool"] == t]
        failures[t] = sum(1 for r in rows if r["exit"] != "0")
        wall = [float(r["wall_s"]) for r in rows]
        cpu = [float(r["user_s"]) + float(r["sys_s"]) for r in rows]
        rss = [int(r["maxrss_kib"]) for r in rows]
        mw, cw = spread(wall, 1000, "{:.0f}")
        mc, cc = spread(cpu, 1000, "{:.0f}")
        mr, cr = spread(rss, 1 / 1024, "{:.1f}")
        med[t] = (mw, mc, mr)
        cells[t] = (cw, cc, cr, len(rows))
    ck = med.get("certkeeper")
    out = []
    out.append(f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {machine}; "
               f"{version}. Medians of {cells[tools[0]][3]} interleaved forced renewals each "
               "(spread: min-max); wall and CPU time in ms, peak RSS in MiB (wait4 on the tool, a direct child).")
    out.append("")
    out.append("| tool | wall ms | CPU ms | CA CPU ms | peak RSS MiB | HTTP requests "
               "| TCP/TLS connections | fsync calls | TPM commands | wall vs certkeeper | CPU vs certkeeper "
               "| RSS vs certkeeper |")
    out.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for t in tools:
        c = counts.get(t, {})
        w, cpu, rss, _ = cells[t]
        fail = f" ({failures[t]} failed)" if failures[t] else ""
        cam = f"{ca[t]:.1f}" if t in ca else "-"
        out.append(f"| {LABELS.get(t, t)}{fail} | {w} | {cpu} | {cam} | {rss} | {c.get('requests', '')} | "
                   f"{c.get('connections', '')} | {c.get('fsyncs', '')} | {c.get('tpm_commands', '') or '-'} | "
                   f"{ratio(med[t][0], ck[0])} | {ratio(med[t][1], ck[1])} | {ratio(med[t][2], ck[2])} |")
    out.append("")
    if "certkeeper-reused-authz" in counts:
        out.append(f"With reused authorizations (PEBBLE_AUTHZREUSE=100) a certkeeper renewal made "
                   f"{counts['certkeeper-reused-authz']['requests']} HTTP requests.")
    fetch_med, fetch_cell = spread(fetch_rss, 1 / 1024, "{:.1f}") if fetch_rss else (0, "-")
    if fetch_rss:
        out.append(f"One plain `curl` fetch of the directory, in every round: peak RSS {fetch_cell} MiB.")
    out.append("")
    if ck and "floor" in med and "certkeeper" in ca and "floor" in ca:
        runs = ca_rows[0]["runs"]
        out.append(f"CA CPU: what a run asks of the CA, Pebble's CPU time (perf's task-clock on all its "
                   f"threads) over {runs} runs of the tool in a row, per run. certkeeper's renewals asked "
                   f"{ca['certkeeper']:.1f} ms of it, the floor's directory fetches {ca['floor']:.1f} ms: "
                   f"{ca['certkeeper'] - ca['floor']:.1f} ms of certkeeper's {ck[0] - med['floor'][0]:.0f} ms "
                   "of wall time above the floor's is the CA at work on the requests a renewal needs "
                   "(each answer is waited for), work the floor does not ask of it.")
        out.append("")
    nf = med.get("certkeeper-nofsync")

    def less(d):
        """A difference of medians in words: on a noisy run it may go either way."""
        if round(d) == 0:
            return "about as much"
        return f"{abs(d):.0f} ms {'less' if d > 0 else 'more'}"

    if ck and nf:
        syncs = counts.get("certkeeper", {}).get("fsyncs", "")
        line = (f"What durability costs: certkeeper makes what a renewal and a service depend on "
                f"durable before it counts on it ({syncs} fsync calls a renewal). The same renewals "
                f"with fsync a no-op "
                f"(`bench/nofsync.c`, LD_PRELOAD) took {less(ck[0] - nf[0])} wall time and "
                f"{less(ck[1] - nf[1])} CPU")
        if "floor" in med:
            fl = med["floor"]
            line += f": {nf[0] / fl[0]:.2f}x the floor's wall time and {nf[1] / fl[1]:.2f}x its CPU"
        out.append(line + ". That row is for comparison only: without its fsync calls the agent "
                   "could lose an installed certificate to a power cut.")
        out.append("")

    # The targets, each reported (never asserted).
    if ck and "floor" in med:
        fl = med["floor"]
        lines = [
            ("wall <= 1/10 of uacme's", "uacme" in med and ck[0] <= med["uacme"][0] / 10,
             f"{ck[0]:.0f} ms vs uacme {med.get('uacme', (0,))[0]:.0f} ms"),
            ("wall <= 1.5x the floor", ck[0] <= 1.5 * fl[0], f"{ck[0] / fl[0]:.2f}x"),
            ("CPU <= lego's", "lego" in med and ck[1] <= med["lego"][1],
             f"{ck[1]:.0f} ms vs lego {med.get('lego', (0, 0))[1]:.0f} ms"),
            ("CPU <= 1.25x the floor", ck[1] <= 1.25 * fl[1], f"{ck[1] / fl[1]:.2f}x"),
            ("peak RSS <= one curl fetch (medians)", bool(fetch_rss) and ck[2] <= fetch_med,
             f"{ck[2]:.1f} MiB vs {fetch_med:.1f} MiB"),
        ]
        c = counts.get("certkeeper", {})
        if c:
            lines.append(("<= 9 requests, 1 TLS connection (fresh authorizations)",
                          int(c["requests"]) <= 9 and int(c["connections"]) == 1,
                          f"{c['requests']} requests, {c['connections']} connection(s)"))
        if "certkeeper-reused-authz" in counts:
            n = int(counts["certkeeper-reused-authz"]["requests"])
            lines.append(("<= 7 requests (reused authorizations)", n <= 7, f"{n} requests"))
        out.append("| target (issue 12) | this run | met |")
        out.append("| --- | --- | --- |")
        for name, ok, val in lines:
            out.append(f"| {name} | {val} | {'yes' if ok else 'no'} |")
        out.append("")

    if cg:
        out.append("Instructions per renewal (callgrind, the whole process; the same on a noisy machine):")
        out.append("")
        out.append("| tool | instructions | vs floor |")
        out.append("| --- | ---: | ---: |")
        for t, n in cg.items():
            out.append(f"| {LABELS.get(t, t)} | {n / 1e6:,.1f} M | "
                       f"{ratio(n, cg['floor']) if 'floor' in cg else '-'} |")
        out.append("")

    tpm = counts.get("certkeeper-tpm", {})
    if tpm.get("tpm_commands"):
        n = int(tpm["tpm_commands"])
        signed = int(tpm["requests"]) - 2  # all but the directory GET and the HEAD newNonce
        per = {"sign": signed + 1, "primary": 1, "create": 1, "load": 2, "flush": 3, "startup": 1}
        model_total = sum(per.values())
        out.append(f"TPM cost model: a renewal with TPM keys made {n} TPM commands "
                   f"({signed} signed requests + 9; the breakdown below adds up to {model_total}). "
                   "Their time on a discrete TPM:")
        out.append("")
        out.append("| command | count | typical ms | slow ms | source |")
        out.append("| --- | ---: | ---: | ---: | --- |")
        typ = slow = 0
        for name, key, t_ms, s_ms, src in TPM_MODEL:
            k = per[key]
            typ += k * t_ms
            slow += k * s_ms
            out.append(f"| {name} | {k} | {k * t_ms} | {k * s_ms} | {src} |")
        out.append(f"| total | {model_total} | {typ} | {slow} | |")
        out.append("")
        out.append(f"So on a discrete TPM a renewal spends about {typ / 1000:.1f} s (slow: "
                   f"{slow / 1000:.1f} s) in the TPM, against {med['certkeeper-tpm'][0]:.0f} ms "
                   "of wall time on swtpm here: replace the per-command figures with the board's.")
        out.append("")

    with open(os.path.join(results, "renewal.md"), "w") as f:
        f.write("\n".join(out))
    with open(os.path.join(results, "renewal-summary.dat"), "w") as f:
        f.write("# tool wall_ms cpu_ms rss_mib\n")
        for t in tools:
            f.write(f"\"{t}\" {med[t][0]:.1f} {med[t][1]:.1f} {med[t][2]:.2f}\n")


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "renewal":
        renewal(*sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
