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
    "certkeeper-tmpfs": "certkeeper (software key), state on tmpfs: not durable",
    "certkeeper-tpm": "certkeeper (TPM key, swtpm)",
    "uacme": "uacme 1.7.4 (-t EC)",
    "lego": "lego 4.9.1 (--key-type ec256)",
    "certbot": "certbot 2.1.0 (--key-type ecdsa)",
    "floor": "floor: curl, as many requests (directory GETs), 1 connection",
}

# Per-command latencies of two discrete TPMs (ms), by TPM command code
# (TPM 2.0 Part 2, TPM_CC): the averages of 1000 runs each that tpm2-algtest
# timed on the host, published in the TPMScan dataset (CRoCS, Masaryk
# University; github.com/crocs-muni/tpmscan-dataset, commit 9522a3aa).
# Typical: Infineon SLB9670, firmware 7.85 (IFX/7.85.17.51968/08836af27dda9f32),
# the SPI TPM of many ARM boards; slow: ST33TPHF2XSPI, firmware 1.769
# (STM/1.769.0.0/2503837295c66474), whose every command costs 78 ms or more.
# Commands the dataset does not time take a stated stand-in.
TPM_CHIPS = ("Infineon SLB9670 fw 7.85", "STMicroelectronics ST33TPHF2XSPI fw 1.769")
TPM_MODEL = {
    # code: (command, typical ms, slow ms, what the figures are), in a renewal's order
    0x144: ("Startup", 4.00, 77.66, "not timed: TPM2_GetRandom of 32 bytes stands in"),
    0x131: ("CreatePrimary (ECC P-256)", 218.95, 220.03,
            "not timed: TPM2_Create of an ECC P-256 key stands in (both make one ECC key)"),
    0x153: ("Create (ECC P-256)", 218.95, 220.03, "TPM2_Create, ECC 0x0003"),
    0x157: ("Load", 4.00, 77.66,
            "not timed: TPM2_GetRandom of 32 bytes stands in (the chip's cost of a command; "
            "Load's unwrapping adds to it)"),
    0x15D: ("Sign (ECDSA P-256)", 71.68, 201.39, "TPM2_Sign, ECC 0x0003, scheme 0x0018 (ECDSA)"),
    0x165: ("FlushContext", 4.00, 77.66, "not timed: TPM2_GetRandom of 32 bytes stands in"),
}


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
    tm = med.get("certkeeper-tmpfs")
    if ck and tm:
        line = (f"What this machine's file system costs: the same renewals with the state directory "
                f"on a tmpfs (in memory) took {less(ck[0] - tm[0])} wall time and "
                f"{less(ck[1] - tm[1])} CPU")
        if "floor" in med:
            fl = med["floor"]
            line += f": {tm[0] / fl[0]:.2f}x the floor's wall time and {tm[1] / fl[1]:.2f}x its CPU"
        out.append(line + ". Also for comparison only: a device keeps its state on its storage.")
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
    tpm_path = os.path.join(results, "renewal-tpm.csv")
    if tpm.get("tpm_commands") and os.path.exists(tpm_path):
        n = int(tpm["tpm_commands"])
        by_code = {int(r["command_code"], 16): int(r["count"]) for r in read(tpm_path)}
        out.append(f"TPM cost model: a renewal with TPM keys made {n} TPM commands, counted by "
                   "command code in tpm2-tss's own log of what it sent (`TSS2_LOG=tcti+debug`). "
                   "Their time on two discrete TPMs, from the per-command averages the TPMScan "
                   "dataset publishes (CRoCS, Masaryk University, "
                   "github.com/crocs-muni/tpmscan-dataset at commit 9522a3aa: 1000 runs of each command, timed on "
                   "the host by tpm2-algtest; files `IFX/7.85.17.51968/08836af27dda9f32/"
                   "performance.yaml` and `STM/1.769.0.0/2503837295c66474/performance.yaml`):")
        out.append("")
        out.append(f"| command | count | {TPM_CHIPS[0]}, ms | {TPM_CHIPS[1]}, ms | "
                   "the per-command figure |")
        out.append("| --- | ---: | ---: | ---: | --- |")
        typ = slow = 0
        unknown = False
        order = list(TPM_MODEL)
        for code in sorted(by_code, key=lambda c: (order.index(c) if c in order else len(order), c)):
            k = by_code[code]
            if code not in TPM_MODEL:
                unknown = True
                out.append(f"| TPM_CC 0x{code:03x} | {k} | - | - | no figure here: not in the total |")
                continue
            name, t_ms, s_ms, src = TPM_MODEL[code]
            typ += k * t_ms
            slow += k * s_ms
            out.append(f"| {name} | {k} | {k} x {t_ms:.2f} = {k * t_ms:.0f} | "
                       f"{k} x {s_ms:.2f} = {k * s_ms:.0f} | {src} |")
        out.append(f"| total | {sum(by_code.values())} | {typ:.0f} | {slow:.0f} | |")
        out.append("")
        signs = by_code.get(0x15D, 0)
        sign_typ, sign_slow = (signs * TPM_MODEL[0x15D][i] for i in (1, 2))
        out.append(f"So on a discrete TPM a renewal spends about {typ / 1000:.1f} s ({TPM_CHIPS[0]}) "
                   f"to {slow / 1000:.1f} s ({TPM_CHIPS[1]}) in the TPM, against "
                   f"{med['certkeeper-tpm'][0]:.0f} ms of wall time on swtpm here; its "
                   f"{signs} signatures are {sign_typ / typ if typ else 0:.0%} and "
                   f"{sign_slow / slow if slow else 0:.0%} of those. A firmware TPM can be much quicker: the dataset's AMD "
                   "fTPM fw 3.37 (`AMD/3.37.0.5/f1bb287f126c390a`) signs in 6 ms. For a fleet of PCs, "
                   "Chrome's field study of TPM ECDSA P-256 signatures found 200 ms at the "
                   "median and 600 ms at the 95th percentile (quoted in S. Kristiansen, \"TPM "
                   "performance\", stiankri.substack.com). On a board of your own, time the "
                   "commands above on its TPM and replace the figures"
                   + (" (and add those of the commands without one)." if unknown else "."))
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
