#!/bin/bash
# metrics.sh: the Prometheus textfile ([telemetry] metrics_file) after a
# successful renewal and after a failed validation: promtool accepts it;
# not_after is the installed certificate's; the attempts by result and the
# CA's problem type are counted, and the counts survive further runs;
# `status --json` shows the same figures; the file is 0644 with no
# temporary file left beside it; "metrics_file =" writes none.  The agent's
# own counters: HTTP requests (equal to what Pebble logged), TPM commands,
# and TLS failures towards the CA by reason, through a CA whose root is not
# trusted and a server whose certificate is for another name.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

command -v promtool >/dev/null || fail "promtool not found (Debian package prometheus)"
# No authorization reuse: every order must be validated afresh.
export PEBBLE_AUTHZREUSE=0
ck_start_pebble "$T/pebble"
state=$T/state
conf=$T/certkeeper.conf
prom=$T/metrics/certkeeper.prom
CK_METRICS_FILE=$prom ck_write_config "$conf" "$state" "key = ec-p256"
mkdir "$T/metrics"
cur=$state/certs/device/current

# check_metrics WHEN: promtool's parser and linter accept the file.
check_metrics() {
	assert_file "$prom"
	promtool check metrics <"$prom" >"$T/promtool.out" 2>&1 ||
		fail "promtool check metrics after $1: $(cat "$T/promtool.out")"$'\n'"$(cat "$prom")"
	assert_eq 644 "$(file_mode "$prom")" "mode of the metrics file after $1"
	assert_eq certkeeper.prom "$(ls -A "$T/metrics")" "files in the textfile directory after $1"
}

# metric SAMPLE: the value of the sample written exactly so ("" when absent).
metric() {
	awk -v m="$1" '$1 == m { print $2 }' "$prom"
}

# attempts RESULT: certkeeper_renewal_attempts_total of device for RESULT.
attempts() {
	metric "certkeeper_renewal_attempts_total{name=\"device\",result=\"$1\"}"
}

# 1. A first issuance.
served_before=$(pebble_requests)
run_ck 0 -c "$conf" renew
check_metrics "a success"
end=$(openssl x509 -in "$cur/cert.pem" -noout -enddate) || fail "cannot read $cur/cert.pem"
assert_eq "$(date -u -d "${end#notAfter=}" +%s)" \
	"$(metric 'certkeeper_certificate_not_after_timestamp_seconds{name="device"}')" "not_after"
start=$(openssl x509 -in "$cur/cert.pem" -noout -startdate) || fail "cannot read $cur/cert.pem"
assert_eq "$(date -u -d "${start#notBefore=}" +%s)" \
	"$(metric 'certkeeper_certificate_not_before_timestamp_seconds{name="device"}')" "not_before"
assert_eq 1 "$(metric 'certkeeper_certificate_ready{name="device"}')" "ready after a success"
assert_eq 1 "$(attempts success)" "successes"
assert_eq 0 "$(attempts failure)" "failures after a success"
assert_eq 0 "$(attempts rolled_back)" "rollbacks"
assert_eq 0 "$(metric 'certkeeper_renewal_consecutive_failures{name="device"}')" "consecutive failures"
assert_eq "" "$(metric 'certkeeper_next_attempt_timestamp_seconds{name="device"}')" "next attempt without backoff"
assert_eq 1 "$(metric "certkeeper_info{version=\"$("$CK" --version | awk 'NR == 1 { print $2 }')\"}")" "certkeeper_info"
s=$(status_json "$conf")
last_success=$(json_get "$s" '.certificates[0].last_success')
assert_eq "$(rfc3339_epoch "$last_success")" \
	"$(metric 'certkeeper_last_success_timestamp_seconds{name="device"}')" "last success"
renew_after=$(json_get "$s" '.certificates[0].renew_after')
assert_eq "$(rfc3339_epoch "$renew_after")" \
	"$(metric 'certkeeper_certificate_renewal_timestamp_seconds{name="device"}')" "due time"
assert_eq true "$(json_get "$s" '.certificates[0].ready')" "status ready"
assert_eq 1 "$(json_get "$s" '.certificates[0].renewal_attempts.success')" "status successes"
requests=$(metric certkeeper_http_requests_total)
# Every request certkeeper made reached Pebble, which logs each one it serves.
served=$(($(pebble_requests) - served_before))
assert_eq "$served" "$requests" "HTTP requests, against the requests Pebble served"
assert_eq "$requests" "$(json_get "$s" '.agent.http_requests')" "status: HTTP requests"
assert_eq 0 "$(metric certkeeper_tpm_commands_total)" "TPM commands with software keys"
for reason in handshake untrusted expired hostname pin; do
	assert_eq 0 "$(metric "certkeeper_ca_tls_failures_total{reason=\"$reason\"}")" \
		"TLS failures ($reason) after a success"
done
note "after a success: promtool passes, not_after is the certificate's, 1 success, 0644," \
	"$requests HTTP requests, as many as Pebble served"

# 2. The responder listens where the CA does not look: validation fails.
wrong_port=$(ck_free_port)
sed "s/^http_port = .*/http_port = $wrong_port/" "$conf" >"$T/wrong-port.conf"
run_ck 1 -c "$T/wrong-port.conf" renew --force
check_metrics "a failed validation"
s=$(status_json "$conf")
problem=$(json_get "$s" '.certificates[0].last_problem')
assert_ne null "$problem" "the problem type of a failed validation"
assert_eq 1 "$(metric "certkeeper_acme_errors_total{name=\"device\",type=\"$problem\"}")" \
	"ACME errors of type $problem"
assert_eq 1 "$(attempts failure)" "failures after a failed validation"
assert_eq 1 "$(attempts success)" "successes after a failed validation"
assert_eq 1 "$(metric 'certkeeper_renewal_consecutive_failures{name="device"}')" "consecutive failures"
next=$(json_get "$s" '.certificates[0].next_attempt')
assert_eq "$(rfc3339_epoch "$next")" \
	"$(metric 'certkeeper_next_attempt_timestamp_seconds{name="device"}')" "next attempt"
# The installed certificate is still the one that serves.
assert_eq 1 "$(metric 'certkeeper_certificate_ready{name="device"}')" "ready after a failure"
assert_eq 1 "$(json_get "$s" '.certificates[0].renewal_attempts.failure')" "status failures"
assert_eq 1 "$(json_get "$s" ".certificates[0].acme_errors[\"$problem\"]")" "status ACME errors"
note "after a failed validation: promtool passes, 1 failure, 1 \"$problem\" error"

# 3. The counts survive further runs: one more failure adds to them; a
# pass with nothing due writes the file again and changes none.
run_ck 1 -c "$T/wrong-port.conf" renew --force
rm "$prom"
run_ck 0 -c "$conf" renew
check_metrics "a pass with nothing due"
assert_eq 2 "$(attempts failure)" "failures after a second run"
assert_eq 1 "$(attempts success)" "successes after a second run"
assert_eq 2 "$(metric "certkeeper_acme_errors_total{name=\"device\",type=\"$problem\"}")" \
	"ACME errors after a second run"
note "counters survive runs: 2 failures, 2 \"$problem\" errors, 1 success"

# 4. "metrics_file =" is off: no file; a success is counted all the same.
sed "s|^metrics_file = .*|metrics_file =|" "$conf" >"$T/off.conf"
rm "$prom"
run_ck 0 -c "$T/off.conf" renew --force
[ ! -e "$prom" ] || fail "metrics_file = (off) wrote $prom"
assert_eq 2 "$(json_get "$(status_json "$T/off.conf")" '.certificates[0].renewal_attempts.success')" \
	"successes counted with the file off"
note "metrics_file = (empty): no file written, counting goes on"

# 5. TLS failures towards the CA, by reason.  A root that is not the CA's:
# "untrusted".  A server whose certificate, from the trusted root, is for
# another name: "hostname".  Each is counted once per failed connection and
# the counts survive runs; a success then counts its requests on top.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=other-root \
	-keyout "$T/other-root.key" -out "$T/other-root.pem" -days 2 2>/dev/null
sed "s|^ca_bundle = .*|ca_bundle = $T/other-root.pem|" "$conf" >"$T/untrusted.conf"
run_ck 1 -c "$T/untrusted.conf" renew --force
assert_contains "$(cat "$ERR")" "certificate" "the error of an untrusted CA"
check_metrics "an untrusted CA"
assert_eq 1 "$(metric 'certkeeper_ca_tls_failures_total{reason="untrusted"}')" "untrusted TLS failures"

openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=wrong.invalid \
	-keyout "$T/wrong.key" -out "$T/wrong.csr" 2>/dev/null
printf 'subjectAltName = DNS:wrong.invalid\n' >"$T/wrong.ext"
openssl x509 -req -in "$T/wrong.csr" -CA "$CK_PEBBLE_DIR/ca.pem" -CAkey "$CK_PEBBLE_DIR/ca.key" \
	-CAcreateserial -days 2 -extfile "$T/wrong.ext" -out "$T/wrong.pem" 2>/dev/null
wport=$(ck_free_port)
_ck_spawn "$T/s_server.log" openssl s_server -accept "127.0.0.1:$wport" -cert "$T/wrong.pem" \
	-key "$T/wrong.key" -www -quiet
ck_wait_port "openssl s_server" "$CK_LAST_PID" "$T/s_server.log" "$wport"
sed "s|^directory = .*|directory = https://localhost:$wport/dir|" "$conf" >"$T/hostname.conf"
run_ck 1 -c "$T/hostname.conf" renew --force
check_metrics "a certificate for another name"
assert_eq 1 "$(metric 'certkeeper_ca_tls_failures_total{reason="hostname"}')" "hostname TLS failures"
assert_eq 1 "$(metric 'certkeeper_ca_tls_failures_total{reason="untrusted"}')" \
	"untrusted TLS failures after another run"
s=$(status_json "$conf")
assert_eq 1 "$(json_get "$s" '.agent.ca_tls_failures.hostname')" "status: hostname TLS failures"
assert_eq 0 "$(json_get "$s" '.agent.ca_tls_failures.handshake')" "status: handshake TLS failures"
before=$(metric certkeeper_http_requests_total)
run_ck 0 -c "$conf" renew --force
after=$(metric certkeeper_http_requests_total)
[ "$after" -gt "$before" ] || fail "HTTP requests did not grow with a renewal: $before, then $after"
note "TLS failures counted by reason (untrusted 1, hostname 1); HTTP requests $before, then $after"

# 6. What node_exporter's textfile collector (Debian's prometheus-node-exporter,
# as on a device) makes of the file: every family read without a scrape error,
# and node_textfile_mtime_seconds with the file label the shipped alert rules
# match (1.5 labels it with the whole path).
command -v prometheus-node-exporter >/dev/null ||
	fail "prometheus-node-exporter not found (Debian package prometheus-node-exporter)"
neport=$(ck_free_port)
_ck_spawn "$T/node_exporter.log" prometheus-node-exporter \
	--web.listen-address="127.0.0.1:$neport" --collector.disable-defaults \
	--collector.textfile --collector.textfile.directory="$T/metrics"
ck_wait_port "prometheus-node-exporter" "$CK_LAST_PID" "$T/node_exporter.log" "$neport"
curl -fsS --max-time 10 "http://127.0.0.1:$neport/metrics" >"$T/scrape.txt" ||
	fail "cannot scrape node_exporter on 127.0.0.1:$neport"
# scraped SAMPLE: its value as node_exporter exposes it (Go's float form), as an integer.
scraped() {
	awk -v m="$1" '$1 == m { printf "%.0f\n", $2 }' "$T/scrape.txt"
}
assert_eq 0 "$(scraped node_textfile_scrape_error)" "node_exporter's textfile scrape error"
mtime_label=$(awk '$1 ~ /^node_textfile_mtime_seconds[{]/ { print $1 }' "$T/scrape.txt")
# The alert rules' matcher, file=~"(.*/)?certkeeper\.prom" (fully anchored, as PromQL's are).
[[ $mtime_label =~ ^node_textfile_mtime_seconds\{file=\"(.*/)?certkeeper\.prom\"\}$ ]] ||
	fail "node_textfile_mtime_seconds is '$mtime_label': the alert rules do not match its file label"
assert_eq "$(metric 'certkeeper_certificate_not_after_timestamp_seconds{name="device"}')" \
	"$(scraped 'certkeeper_certificate_not_after_timestamp_seconds{name="device"}')" \
	"not_after as node_exporter exposes it"
assert_eq "$after" "$(scraped certkeeper_http_requests_total)" "HTTP requests through node_exporter"
note "node_exporter $(prometheus-node-exporter --version 2>&1 | awk 'NR == 1 { print $3 }') reads the file:" \
	"no scrape error, $mtime_label"
