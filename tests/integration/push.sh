#!/bin/bash
# push.sh: the metrics pushed to a real Prometheus Pushgateway (Debian's
# prometheus-pushgateway) on loopback that requires client certificates
# signed by Pebble's chain.  After an issuance the pushed figures are read
# back from the Pushgateway's own /metrics (not_after is the installed
# certificate's, with job and instance labels); a client without a
# certificate is refused by it; a push while it is stopped fails without
# failing the renewal (exit 0, certificate installed), shows in status and
# the metrics, and succeeds once it is back, from one-shot runs and from
# the resident agent waking on its own; an untrusted Pushgateway, a refused
# client certificate, a timeout and a 404 each give a warning naming the
# cause; a TPM-held key (swtpm) pushes; TLS 1.3 only (the Pushgateway
# refuses older); and
# nothing the Pushgateway stored holds a private key, a challenge token or a
# key authorization, nor what certkeeper printed at -v a private key.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

command -v prometheus-pushgateway >/dev/null ||
	fail "prometheus-pushgateway not found (Debian package prometheus-pushgateway)"
command -v promtool >/dev/null || fail "promtool not found (Debian package prometheus)"
export PEBBLE_AUTHZREUSE=0
# A CA that requires external account binding: its HMAC key is a secret that
# must not reach what is printed, pushed or stored (part 8).
eab_kid=fleet-kid-1
eab_key=$(openssl rand 32 | basenc --base64url | tr -d '=\n')
CK_PEBBLE_EAB="$eab_kid:$eab_key" ck_start_pebble "$T/pebble"
# with_eab CONF: the binding in CONF's [acme].
with_eab() {
	sed -i "s|^\[acme\]\$|[acme]\neab_kid = $eab_kid\neab_hmac_key = $eab_key|" "$1"
	grep -q "^eab_hmac_key = " "$1" || fail "cannot add the binding to $1"
}

# The Pushgateway's client CAs: the root and intermediate Pebble issues under.
pgw=$T/pgw
mkdir -p "$pgw"
curl -fsS --max-time 10 --cacert "$CK_CA_BUNDLE" "$CK_PEBBLE_MGMT/roots/0" >"$pgw/client-ca.pem" ||
	fail "cannot fetch Pebble's root"
curl -fsS --max-time 10 --cacert "$CK_CA_BUNDLE" "$CK_PEBBLE_MGMT/intermediates/0" \
	>>"$pgw/client-ca.pem" || fail "cannot fetch Pebble's intermediate"
assert_eq 2 "$(grep -c -- '-----BEGIN CERTIFICATE-----' "$pgw/client-ca.pem")" "client CA certificates"
# Its own listener certificate, from a test root of its own.
"$CK_TOP/pebble/mkcert" "$pgw/tls" >/dev/null
cat >"$pgw/web.yml" <<EOF
tls_server_config:
  cert_file: $pgw/tls/localhost.pem
  key_file: $pgw/tls/localhost.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: $pgw/client-ca.pem
  min_version: TLS13
EOF
pgw_port=$(ck_free_port)
CK_PORTS_TAKEN="$CK_PORTS_TAKEN $pgw_port"
PGW_PID=

# start_pgw: the Pushgateway on pgw_port, its pushes kept in pgw/data.
start_pgw() {
	_ck_spawn "$pgw/pushgateway.log" prometheus-pushgateway \
		--web.listen-address="127.0.0.1:$pgw_port" --web.config.file="$pgw/web.yml" \
		--persistence.file="$pgw/data" --persistence.interval=1s
	PGW_PID=$CK_LAST_PID
	ck_wait_port "prometheus-pushgateway" "$PGW_PID" "$pgw/pushgateway.log" "$pgw_port" ||
		fail "the Pushgateway did not start"
}

stop_pgw() {
	ck_stop "$PGW_PID"
	PGW_PID=
}

state=$T/state
conf=$T/certkeeper.conf
prom=$T/metrics/certkeeper.prom
mkdir "$T/metrics"
CK_METRICS_FILE=$prom CK_TELEMETRY="push_url = https://localhost:$pgw_port
push_ca_bundle = $pgw/tls/ca.pem
push_timeout = 5s" ck_write_config "$conf" "$state" "key = ec-p256"
with_eab "$conf"
cur=$state/certs/device/current

# scrape CERT KEY: the Pushgateway's /metrics, read with a client certificate, into $T/scrape.
scrape() {
	curl -fsS --max-time 10 --cacert "$pgw/tls/ca.pem" --cert "$1" --key "$2" \
		"https://localhost:$pgw_port/metrics" >"$T/scrape" 2>"$T/curl.err" ||
		fail "cannot read the Pushgateway's /metrics: $(cat "$T/curl.err")"
}

# pushed SAMPLE: the value in $T/scrape of the sample written exactly so, as an integer.
pushed() {
	awk -v m="$1" '$1 == m { printf "%.0f\n", $2 }' "$T/scrape"
}

# metric SAMPLE: the value of the sample in the metrics file.
metric() {
	awk -v m="$1" '$1 == m { print $2 }' "$prom"
}

not_after() {
	local end
	end=$(openssl x509 -in "$1" -noout -enddate) || fail "cannot read $1"
	date -u -d "${end#notAfter=}" +%s
}

# 1. An issuance, pushed: the Pushgateway holds the certificate's figures.
start_pgw
run_ck 0 -c "$conf" -v renew
cat "$OUT" "$ERR" >>"$T/outputs"
assert_not_contains "$(cat "$ERR")" "push to" "a push that succeeded"
scrape "$cur/fullchain.pem" "$cur/key.pem"
labels='instance="device-1.test",job="certkeeper",name="device"'
assert_eq "$(not_after "$cur/cert.pem")" \
	"$(pushed "certkeeper_certificate_not_after_timestamp_seconds{$labels}")" \
	"not_after in the Pushgateway"
assert_eq 1 "$(pushed "certkeeper_certificate_ready{$labels}")" "ready in the Pushgateway"
assert_eq 1 "$(pushed "certkeeper_renewal_attempts_total{$labels,result=\"success\"}")" \
	"successes in the Pushgateway"
assert_eq 0 "$(pushed 'certkeeper_push_failures_total{instance="device-1.test",job="certkeeper"}')" \
	"push failures in the Pushgateway"
s=$(status_json "$conf")
assert_eq "https://localhost:$pgw_port" "$(json_get "$s" '.push.url')" "status push url"
assert_ne null "$(json_get "$s" '.push.last_success')" "status push last_success"
assert_eq null "$(json_get "$s" '.push.last_failure')" "status push last_failure"
assert_ne "" "$(metric certkeeper_push_last_success_timestamp_seconds)" "push success in the metrics file"
note "an issuance is pushed: not_after $(not_after "$cur/cert.pem") read back with job and instance"

# 2. A client without a certificate is refused by the Pushgateway.
if curl -fsS --max-time 10 --cacert "$pgw/tls/ca.pem" "https://localhost:$pgw_port/metrics" \
	>"$T/nocert.out" 2>"$T/nocert.err"; then
	fail "the Pushgateway answered a client without a certificate"
fi
assert_not_contains "$(cat "$T/nocert.out")" certkeeper_ "what a client without a certificate got"
# A certificate from another CA is refused too.
if curl -fsS --max-time 10 --cacert "$pgw/tls/ca.pem" --cert "$pgw/tls/localhost.pem" \
	--key "$pgw/tls/localhost.key" "https://localhost:$pgw_port/metrics" >/dev/null 2>&1; then
	fail "the Pushgateway answered a client certificate not from Pebble's chain"
fi
note "clients without a certificate, or with one from another CA, are refused"

# 3. The Pushgateway stopped: the renewal succeeds, the push fails, status and metrics say so.
stop_pgw
old_serial=$(cert_serial "$cur/cert.pem")
run_ck 0 -c "$conf" renew --force
assert_ne "$old_serial" "$(cert_serial "$cur/cert.pem")" "a new certificate despite the outage"
assert_contains "$(cat "$ERR")" "push to https://localhost:$pgw_port failed" "the push warning"
assert_contains "$(cat "$ERR")" "could not connect" "the cause of the failed push"
assert_contains "$(cat "$ERR")" "renewals are not affected" "the push warning"
s=$(status_json "$conf")
assert_ne null "$(json_get "$s" '.push.last_failure')" "status push last_failure"
assert_contains "$(json_get "$s" '.push.last_error')" "could not connect" "status push last_error"
assert_eq 1 "$(json_get "$s" '.push.failures')" "status push failures"
assert_eq success "$(json_get "$s" '.certificates[0].last_result')" "the renewal's result"
assert_eq 1 "$(metric certkeeper_push_failures_total)" "push failures in the metrics file"
assert_ne "" "$(metric certkeeper_push_last_failure_timestamp_seconds)" "push failure in the metrics file"
promtool check metrics <"$prom" >"$T/promtool.out" 2>&1 ||
	fail "promtool check metrics after a failed push: $(cat "$T/promtool.out")"
run_ck 0 -c "$conf" status
assert_contains "$(cat "$OUT")" "could not connect" "status (text) shows the push error"
note "outage: renewed (exit 0, new serial), push failure in status and metrics, promtool passes"

# 4. Back: the next one-shot pass (nothing due) pushes the new certificate.
start_pgw
run_ck 0 -c "$conf" renew
assert_not_contains "$(cat "$ERR")" "push to" "a push after the outage"
scrape "$cur/fullchain.pem" "$cur/key.pem"
assert_eq "$(not_after "$cur/cert.pem")" \
	"$(pushed "certkeeper_certificate_not_after_timestamp_seconds{$labels}")" \
	"the new not_after in the Pushgateway"
assert_eq 1 "$(pushed 'certkeeper_push_failures_total{instance="device-1.test",job="certkeeper"}')" \
	"the failed push counted in the Pushgateway"
s=$(status_json "$conf")
assert_eq null "$(json_get "$s" '.push.last_error')" "status push last_error after a success"
note "after the outage the next pass pushes the new certificate"

# 5. The resident agent wakes on its own to push again after a failed push.
stop_pgw
_ck_spawn "$T/agent.log" "$CK" -c "$conf" run
agent=$CK_LAST_PID
# Its first pass fails to push: the record counts a second failure.
for ((i = 0; i < 150; i++)); do
	s=$(status_json "$conf")
	[ "$(json_get "$s" '.push.failures')" = 2 ] && break
	_ck_alive "$agent" || fail "the agent exited: $(cat "$T/agent.log")"
	sleep 0.2
done
assert_eq 2 "$(json_get "$s" '.push.failures')" "push failures after the agent's first pass"
grep -q "push to .* failed" "$T/agent.log" || fail "the agent did not warn of the failed push"
failed_at=$(json_get "$s" '.push.last_failure')
start_pgw
# The retry comes a minute after the failure (so strictly later: the
# success of part 4 may fall in the failure's second); nothing is due before.
for ((i = 0; i < 150; i++)); do
	s=$(status_json "$conf")
	last=$(json_get "$s" '.push.last_success')
	[ "$last" != null ] && [ "$(rfc3339_epoch "$last")" -gt "$(rfc3339_epoch "$failed_at")" ] && break
	_ck_alive "$agent" || fail "the agent exited: $(cat "$T/agent.log")"
	sleep 1
done
if [ "$last" = null ] || [ "$(rfc3339_epoch "$last")" -le "$(rfc3339_epoch "$failed_at")" ]; then
	fail "the resident agent did not push again after the Pushgateway came back: $(cat "$T/agent.log")"
fi
ck_stop "$agent"
assert_eq 2 "$(json_get "$s" '.push.failures')" "push failures after the agent's"
note "the resident agent retried the failed push on its own and it succeeded"

# 6. Each failure names its cause: an untrusted Pushgateway, a refused
# client certificate, a timeout, an answer that is not 2xx.
# push_cause CONF WORDS: a one-shot pass with CONF exits 0 and warns with WORDS.
push_cause() {
	run_ck 0 -c "$1" renew
	assert_contains "$(cat "$ERR")" "push to https://localhost:" "the warning of a failed push ($2)"
	assert_contains "$(cat "$ERR")" "$2" "the cause of a failed push"
	assert_contains "$(json_get "$(status_json "$1")" '.push.last_error')" "$2" "status push last_error"
}
start_pgw
sed "s|^push_ca_bundle = .*|push_ca_bundle = $CK_CA_BUNDLE|" "$conf" >"$T/untrusted.conf"
push_cause "$T/untrusted.conf" "the server's certificate is not trusted"
sed "s|^push_url = .*|push_url = https://localhost:$pgw_port/nowhere|" "$conf" >"$T/404.conf"
push_cause "$T/404.conf" "the Pushgateway answered 404"
stop_pgw
# A Pushgateway that trusts another CA for its clients.
sed "s|client_ca_file: .*|client_ca_file: $pgw/tls/ca.pem|" "$pgw/web.yml" >"$pgw/web-other.yml"
cp "$pgw/web.yml" "$pgw/web-pebble.yml"
cp "$pgw/web-other.yml" "$pgw/web.yml"
start_pgw
# (The refusal is an alert that TLS 1.3 sends after the client's handshake:
# the request may meet the closed connection first, and the cause is hedged.)
push_cause "$conf" "client certificate"
stop_pgw
cp "$pgw/web-pebble.yml" "$pgw/web.yml"
# A listener that accepts and never answers.
silent_port=$(ck_free_port)
CK_PORTS_TAKEN="$CK_PORTS_TAKEN $silent_port"
_ck_spawn "$T/silent.log" python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' "$silent_port"
silent=$CK_LAST_PID
ck_wait_port "a silent listener" "$silent" "$T/silent.log" "$silent_port" || fail "no silent listener"
sed -e "s|^push_url = .*|push_url = https://localhost:$silent_port|" \
	-e "s|^push_timeout = .*|push_timeout = 1s|" "$conf" >"$T/silent.conf"
push_cause "$T/silent.conf" "timed out"
ck_stop "$silent"
note "causes named: untrusted Pushgateway, 404 answer, refused client certificate, timeout"

# 7. A TPM-held key pushes (the handshake signed in swtpm), on its own instance.
ck_start_swtpm "$T"
tstate=$T/tpm-state
tconf=$T/tpm.conf
CK_TELEMETRY="push_url = https://localhost:$pgw_port/
push_ca_bundle = $pgw/tls/ca.pem
push_instance = tpm/device
push_job = fleet:test" ck_write_config "$tconf" "$tstate" "key = tpm"
with_eab "$tconf"
run_ck 0 -c "$tconf" -v renew
cat "$OUT" "$ERR" >>"$T/outputs"
tcur=$tstate/certs/device/current
assert_file "$tcur/key.tss2.pem"
assert_not_contains "$(cat "$ERR")" "push to" "a push with a TPM key"
scrape "$cur/fullchain.pem" "$cur/key.pem"
tlabels='instance="tpm/device",job="fleet:test",name="device"'
assert_eq "$(not_after "$tcur/cert.pem")" \
	"$(pushed "certkeeper_certificate_not_after_timestamp_seconds{$tlabels}")" \
	"not_after pushed with the TPM key"
transients=$(TPM2TOOLS_TCTI=$CK_TCTI tpm2_getcap handles-transient) || fail "tpm2_getcap"
assert_eq "" "$transients" "transient objects left in the TPM"
note "a TPM key pushed (instance and job escaped), no transient object left"

# 8. Privacy: nothing the Pushgateway stored nor what certkeeper printed holds a secret.
stop_pgw
assert_file "$pgw/data"
{
	cat "$T/scrape" "$pgw/data" "$prom"
} >"$T/stored"
{
	cat "$T/stored" "$T/outputs" "$T/agent.log"
} >"$T/everything"
for key in "$state"/accounts/*/*.pem "$cur/key.pem" "$tcur/key.tss2.pem"; do
	[ -f "$key" ] || continue
	grep -v -- '-----' "$key" | while read -r line; do
		[ ${#line} -ge 16 ] || continue
		if grep -qF -- "$line" "$T/everything"; then
			fail "a line of $key is in what was pushed or printed"
		fi
	done
done
tokens=$(grep -oE '/\.well-known/acme-challenge/[A-Za-z0-9_-]+' "$CK_PEBBLE_DIR/pebble.log" |
	sed 's|.*/||' | sort -u)
[ -n "$tokens" ] || fail "no challenge token found in pebble.log"
# A token is also the start of its key authorization (TOKEN.THUMBPRINT).
for tok in $tokens; do
	grep -qF -- "$tok" "$T/everything" &&
		fail "challenge token $tok (or its key authorization) was pushed, stored or printed"
done
grep -qF -- "$eab_key" "$T/everything" && fail "the EAB HMAC key was pushed, stored or printed"
assert_not_contains "$(cat "$T/everything")" "PRIVATE KEY" "what was pushed or printed"
note "privacy: no private key, EAB key, token or key authorization in the Pushgateway's data," \
	"the metrics, the events or the -v output"
