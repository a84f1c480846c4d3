#!/bin/bash
# secrets.sh: at the most verbose level (-v), issuance, forced renewal,
# status, account show, a failed validation, revoke and the replacing
# renewal, with software keys and with TPM keys behind an owner password,
# against a Pebble that requires external account binding.  Every output,
# the metrics file and every state file other than the key files holds no
# private key material (PEM lines, the DER key in base64, the EC private
# scalar in hex), no owner password, no EAB HMAC key, no challenge token
# and no key authorization.  After every run: STATE_DIR, certs/, accounts/,
# pending/ and their entries 0700, key files 0600, nothing under STATE_DIR
# writable by others, nothing outside certs/ readable by them.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

kid=fleet-kid-7
eab_key=$(openssl rand 32 | basenc --base64url | tr -d '=\n')
owner_pw=ck-owner-$(openssl rand -hex 12)
export PEBBLE_AUTHZREUSE=0
CK_PEBBLE_EAB="$kid:$eab_key" ck_start_pebble "$T/pebble"
ck_start_swtpm "$T"
TPM2TOOLS_TCTI=$CK_TCTI tpm2_changeauth -c owner "$owner_pw" || fail "tpm2_changeauth owner"
printf '%s\n' "$owner_pw" >"$T/owner-auth"
chmod 600 "$T/owner-auth"
: >"$T/outputs"

# conf NAME STATE LINE...: a configuration with the binding in [acme].
conf() {
	local file=$T/$1.conf state=$2
	shift 2
	ck_write_config "$file" "$state" "$@"
	sed -i -e "/^\[acme\]\$/a eab_kid = $kid" -e "/^\[acme\]\$/a eab_hmac_key = $eab_key" "$file"
	if grep -q '^\[tpm\]$' "$file"; then
		sed -i "/^\[tpm\]\$/a owner_auth_file = $T/owner-auth" "$file"
	fi
	echo "$file"
}

# modes STATE WHAT: the permission rules above, after the run WHAT.
modes() {
	local state=$1 what=$2 m f
	for f in "$state" "$state/certs" "$state/accounts" "$state/pending" \
		"$state"/accounts/* "$state"/pending/*; do
		[ -d "$f" ] || continue
		assert_eq 700 "$(file_mode "$f")" "mode of ${f#"$T"/} after $what"
	done
	while IFS= read -r f; do
		assert_eq 600 "$(file_mode "$f")" "mode of ${f#"$T"/} after $what"
	done < <(find "$state" -type f \( -name 'key.pem' -o -name 'key.tss2.pem' -o -name '*.key' \))
	f=$(find "$state" ! -type l -perm /o=w -print -quit)
	[ -z "$f" ] || fail "${f#"$T"/} is writable by others after $what"
	f=$(find "$state" -path "$state/certs" -prune -o ! -type l -perm /o=rwx -print -quit)
	[ -z "$f" ] || fail "${f#"$T"/} (outside certs/) is open to others after $what"
}

# v RC WHAT CONF ARG...: certkeeper -v ARG, output kept; modes checked.
v() {
	local rc=$1 what=$2 conf=$3 state
	shift 3
	run_ck "$rc" -c "$conf" -v "$@"
	{
		echo "=== $what: certkeeper -v $*"
		cat "$OUT" "$ERR"
	} >>"$T/outputs"
	state=$(sed -n 's/^state_dir = //p' "$conf")
	modes "$state" "$what"
}

# flow NAME CONF: every kind of run.
flow() {
	local name=$1 conf=$2 port
	v 0 "$name issuance" "$conf" renew
	assert_contains "$(cat "$ERR")" "debug" "-v output (debug lines)"
	v 0 "$name renewal" "$conf" renew --force
	v 0 "$name status" "$conf" status
	v 0 "$name status --json" "$conf" status --json
	v 0 "$name account show" "$conf" account show
	port=$(ck_free_port)
	sed "s/^http_port = .*/http_port = $port/" "$conf" >"$conf.bad"
	v 1 "$name failed validation" "$conf.bad" renew --force
	assert_contains "$(cat "$ERR")" "authorization for" "the failed run's error"
	v 0 "$name status after the failure" "$conf" status
	v 0 "$name revoke" "$conf" revoke device --reason superseded
	v 0 "$name renewal after revoke" "$conf" renew --force
	note "$name keys: every run at -v done, modes right after each"
}

CK_METRICS_FILE=$T/metrics.prom
export CK_METRICS_FILE
sw=$(conf sw "$T/sw" "key = ec-p256")
flow software "$sw"
tpm=$(CK_ACCOUNT_KEY=tpm CK_TCTI=$CK_TCTI conf tpm "$T/tstate" "key = tpm")
grep -q '^owner_auth_file = ' "$tpm" || fail "no owner_auth_file in $tpm"
flow TPM "$tpm"

# What may hold a secret by mistake: every output, the metrics file, every
# state file but the keys.
{
	cat "$T/outputs" "$CK_METRICS_FILE"
	find "$T/sw" "$T/tstate" -type f ! -name 'key.pem' ! -name 'key.tss2.pem' -exec cat {} +
} >"$T/everything"
[ -s "$T/everything" ] || fail "nothing collected"

# found TEXT WHAT: fails if TEXT is in what was collected.
found() {
	grep -nF -- "$1" "$T/everything" | head -n 3 >&2 || true
	! grep -qF -- "$1" "$T/everything" || fail "$2 is in the output or state"
}

nkeys=0
while IFS= read -r key; do
	nkeys=$((nkeys + 1))
	grep -v -- '-----' "$key" >"$T/key.lines"
	while read -r line; do
		[ ${#line} -lt 16 ] || found "$line" "a line of ${key#"$T"/}"
	done <"$T/key.lines"
	case $key in
	*.tss2.pem) continue ;;
	esac
	# The same key as one base64 line, and its private scalar in hex.
	der=$(openssl pkey -in "$key" -outform DER | base64 -w0)
	found "${der:0:48}" "the DER of ${key#"$T"/} in base64"
	priv=$(openssl pkey -in "$key" -noout -text | sed -n '/^priv:/,/^pub:/p' | sed '1d;$d' | tr -d ' :\n')
	[ ${#priv} -ge 60 ] || fail "no private scalar read from ${key#"$T"/}"
	found "${priv:2:40}" "the private scalar of ${key#"$T"/} (hex)"
done < <(find "$T/sw" "$T/tstate" -type f \( -name 'key.pem' -o -name 'key.tss2.pem' \))
[ $nkeys -ge 6 ] || fail "only $nkeys key files found"
grep -q "PRIVATE KEY" "$T/everything" && fail "a PEM private key is in the output or state"
found "$eab_key" "the EAB HMAC key"
found "$owner_pw" "the TPM owner password"
tokens=$(grep -oE '/\.well-known/acme-challenge/[A-Za-z0-9_-]+' "$CK_PEBBLE_DIR/pebble.log" |
	sed 's|.*/||' | sort -u)
[ "$(echo "$tokens" | wc -l)" -ge 8 ] || fail "too few challenge tokens in pebble.log: $tokens"
# A key authorization is TOKEN.THUMBPRINT: none anywhere.
for tok in $tokens; do
	found "$tok." "the key authorization of token $tok"
done
# The token alone: nowhere either, also not where the CA's own error quotes
# the URL it failed to fetch (certkeeper cuts the token out of it).
for tok in $tokens; do
	found "$tok" "challenge token $tok"
done
note "$nkeys key files, $(echo "$tokens" | wc -l) tokens, the EAB key and the owner password:" \
	"none in $(wc -l <"$T/everything") lines of -v output, metrics and state"
