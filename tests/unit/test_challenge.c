/*
 * test_challenge.c: the challenge solvers' own parts: IP identifiers
 * (util/ip.c), the dns-01 record name and value and its hook runs
 * (challenge/dns01.c), the tls-alpn-01 certificate and the responder's
 * refusals over real loopback handshakes (challenge/tlsalpn01.c), and the
 * webroot's token files (challenge/webroot.c).  Vectors computed with
 * Python's hashlib and base64, independently of the code under test.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "certkeeper/challenge/dns01.h"
#include "certkeeper/challenge/tlsalpn01.h"
#include "certkeeper/challenge/webroot.h"
#include "certkeeper/util/clock.h"
#include "certkeeper/util/ip.h"
#include "certkeeper/util/log.h"
#include "helpers.h"

/* RFC 8555 8.4's example key authorization and its SHA-256 (hashlib). */
#define KEYAUTH "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"
#define KEYAUTH_B64 "lCM7cZyQXcVHK2nnW3jjAhNT3Fvm18UN-kWZZknKoYM"
static const unsigned char keyauth_sha256[32] = {
	0x94, 0x23, 0x3b, 0x71, 0x9c, 0x90, 0x5d, 0xc5, 0x47, 0x2b, 0x69, 0xe7, 0x5b, 0x78, 0xe3, 0x02,
	0x13, 0x53, 0xdc, 0x5b, 0xe6, 0xd7, 0xc5, 0x0d, 0xfa, 0x45, 0x99, 0x66, 0x49, 0xca, 0xa1, 0x83,
};
#define TOKEN "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"

/* --- IP identifiers ------------------------------------------------------ */

/* Broken if an address is not told from a name, or not kept in its RFC 5952 form. */
static void
test_ip_parse(void **state)
{
	unsigned char bin[16];
	char buf[CK_IP_TEXT_MAX];

	(void)state;
	assert_int_equal(ck_ip_parse("192.0.2.7", bin), 4);
	assert_memory_equal(bin, "\xc0\x00\x02\x07", 4);
	assert_int_equal(ck_ip_parse("::1", bin), 16);
	assert_int_equal(bin[15], 1);
	assert_int_equal(ck_ip_parse("device.example.com", NULL), 0);
	assert_int_equal(ck_ip_parse("10.1.2", NULL), 0);		/* inet_aton would take it */
	assert_int_equal(ck_ip_parse("010.1.2.3", NULL), 0);		/* no octal */
	assert_int_equal(ck_ip_parse("fe80::1%eth0", NULL), 0);	/* no zones */
	assert_int_equal(ck_ip_parse("1.2.3.4 ", NULL), 0);
	assert_int_equal(ck_ip_parse("", NULL), 0);
	assert_int_equal(ck_ip_canonical("2001:0DB8:0000:0000:0000:0000:0000:0001", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2001:db8::1");
	assert_int_equal(ck_ip_canonical("2001:db8:0:1:0:0:0:1", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2001:db8:0:1::1");	/* the longest run of zeros */
	assert_int_equal(ck_ip_canonical("2001:db8:0:1:1:1:1:1", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2001:db8:0:1:1:1:1:1");	/* one zero field stays */
	assert_int_equal(ck_ip_canonical("::FFFF:192.0.2.1", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "::ffff:192.0.2.1");
	assert_int_equal(ck_ip_canonical("0:0:0:0:0:0:0:1", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "::1");
	assert_int_equal(ck_ip_canonical("example.com", buf, sizeof(buf)), -1);
}

/* Broken if the tls-alpn-01 SNI of an address is not its RFC 8738 6 reverse name. */
static void
test_ip_reverse(void **state)
{
	char buf[CK_IP_REVERSE_MAX];

	(void)state;
	assert_int_equal(ck_ip_reverse_name("192.0.2.7", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "7.2.0.192.in-addr.arpa");
	assert_int_equal(ck_ip_reverse_name("2001:db8::1", buf, sizeof(buf)), 0);
	assert_string_equal(buf,
	    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
	assert_int_equal(ck_tlsalpn01_sni("ip", "192.0.2.7", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "7.2.0.192.in-addr.arpa");
	assert_int_equal(ck_tlsalpn01_sni("dns", "Device.Example.COM", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "device.example.com");
	assert_int_equal(ck_ip_reverse_name("not-an-ip", buf, sizeof(buf)), -1);
}

/* --- dns-01 ------------------------------------------------------------------ */

/* Broken if the TXT value is not base64url(SHA-256(key authorization)) or the name is not _acme-challenge.D. */
static void
test_dns01_value(void **state)
{
	char v[CK_DNS01_VALUE_MAX + 1], name[300];

	(void)state;
	assert_int_equal(ck_dns01_value(KEYAUTH, v, sizeof(v)), 0);
	assert_string_equal(v, KEYAUTH_B64);
	assert_int_equal(strlen(v), 43);
	assert_int_equal(ck_dns01_record_name("example.org", name, sizeof(name)), 0);
	assert_string_equal(name, "_acme-challenge.example.org.");
	assert_int_equal(ck_dns01_record_name("example.org", name, 20), -1);
}

static char tmpdir[256];

static int
mk_tmp(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ck-test-challenge.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
rm_tmp(void **state)
{
	(void)state;
	ck_test_rm_rf(tmpdir);
	return 0;
}

/* The whole of a small file, or "" when it cannot be read. */
static char *
slurp(const char *path, char *buf, size_t len)
{
	FILE *fp = fopen(path, "r");
	size_t n = 0;

	if (fp != NULL) {
		n = fread(buf, 1, len - 1, fp);
		fclose(fp);
	}
	buf[n] = '\0';
	return buf;
}

/*
 * Broken if the hook is not run as COMMAND add|remove RECORD VALUE, if a
 * failing add does not fail with its output in the error (and run remove),
 * or if the propagation wait does not go through the clock.
 */
static void
test_dns01_hook(void **state)
{
	static char sh[] = "/bin/sh", dash_c[] = "-c", arg0[] = "hook";
	char log[512], script[700], text[2048];
	char *hook[] = { sh, dash_c, script, arg0, NULL };
	struct ck_chall c = { "dns", "example.org", 1, TOKEN, KEYAUTH };
	struct ck_dns01_params p;
	struct ck_clock *clock = ck_clock_fake_new(1000);
	struct ck_solver *s = NULL;

	(void)state;
	snprintf(log, sizeof(log), "%s/calls", tmpdir);
	snprintf(script, sizeof(script), "echo \"$*\" >>'%s'; [ \"$1 $CERTKEEPER_NAME\" != 'add bad' ] "
	    "|| { echo 'update failed: REFUSED' >&2; exit 3; }", log);
	memset(&p, 0, sizeof(p));
	p.cert_name = "good";
	p.hook = hook;
	p.timeout_secs = 10;
	p.propagation_wait_secs = 30;
	p.clock = clock;
	assert_int_equal(ck_dns01_solver_new(&p, &s), 0);
	assert_string_equal(s->type, "dns-01");
	assert_int_equal(ck_solver_present(s, &c), 0);
	assert_int_equal(ck_solver_ready(s), 0);
	assert_int_equal(ck_clock_now_ms(clock), 1000 + 30000);
	ck_solver_cleanup(s, &c);
	assert_string_equal(slurp(log, text, sizeof(text)),
	    "add _acme-challenge.example.org. " KEYAUTH_B64 "\n"
	    "remove _acme-challenge.example.org. " KEYAUTH_B64 "\n");
	ck_solver_free(s);

	unlink(log);
	p.cert_name = "bad";
	ck_clear_error();
	assert_int_equal(ck_dns01_solver_new(&p, &s), 0);
	assert_int_equal(ck_solver_present(s, &c), -1);
	assert_non_null(strstr(ck_last_error(), "bad: dns hook: \"add _acme-challenge.example.org.\" "
	    "for *.example.org exited with status 3: update failed: REFUSED"));
	assert_string_equal(slurp(log, text, sizeof(text)),
	    "add _acme-challenge.example.org. " KEYAUTH_B64 "\n"
	    "remove _acme-challenge.example.org. " KEYAUTH_B64 "\n");
	/* An address has no zone: refused before any hook runs. */
	unlink(log);
	c.id_type = "ip";
	c.identifier = "192.0.2.1";
	c.wildcard = 0;
	assert_int_equal(ck_solver_present(s, &c), -1);
	assert_int_equal(access(log, F_OK), -1);
	ck_solver_free(s);
	ck_clock_free(clock);
}

/* --- tls-alpn-01 ------------------------------------------------------------- */

/* Broken if the acmeIdentifier value is not DER OCTET STRING(SHA-256(key authorization)). */
static void
test_tlsalpn_ext_value(void **state)
{
	unsigned char v[CK_TLSALPN01_EXT_LEN];

	(void)state;
	assert_int_equal(ck_tlsalpn01_ext_value(KEYAUTH, v), 0);
	assert_int_equal(v[0], 0x04);
	assert_int_equal(v[1], 0x20);
	assert_memory_equal(v + 2, keyauth_sha256, 32);
}

/* Asserts what RFC 8737 3 asks of a validation certificate for the given name. */
static void
assert_validation_cert(X509 *x, int san_type, const unsigned char *san, size_t sanlen)
{
	ASN1_OBJECT *oid = OBJ_txt2obj(CK_TLSALPN01_OID, 1);
	const ASN1_OCTET_STRING *data;
	GENERAL_NAMES *gens;
	const GENERAL_NAME *g;
	X509_EXTENSION *ext;
	int idx, type;
	const ASN1_STRING *v;

	assert_non_null(oid);
	idx = X509_get_ext_by_OBJ(x, oid, -1);
	assert_true(idx >= 0);
	assert_true(X509_get_ext_by_OBJ(x, oid, idx) < 0);	/* exactly one */
	ext = X509_get_ext(x, idx);
	assert_int_equal(X509_EXTENSION_get_critical(ext), 1);
	data = X509_EXTENSION_get_data(ext);
	assert_int_equal(ASN1_STRING_length(data), 34);
	assert_memory_equal(ASN1_STRING_get0_data(data), "\x04\x20", 2);
	assert_memory_equal(ASN1_STRING_get0_data(data) + 2, keyauth_sha256, 32);
	ASN1_OBJECT_free(oid);
	assert_non_null(gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL));
	assert_int_equal(sk_GENERAL_NAME_num(gens), 1);
	g = sk_GENERAL_NAME_value(gens, 0);
	v = GENERAL_NAME_get0_value(g, &type);
	assert_int_equal(type, san_type);
	assert_int_equal(ASN1_STRING_length(v), (int)sanlen);
	assert_memory_equal(ASN1_STRING_get0_data(v), san, sanlen);
	GENERAL_NAMES_free(gens);
}

/* Broken if the validation certificate lacks the critical extension or has other names. */
static void
test_tlsalpn_cert(void **state)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = NULL;

	(void)state;
	assert_non_null(key);
	assert_int_equal(ck_tlsalpn01_cert(key, "dns", "device.example.com", KEYAUTH, &x), 0);
	assert_validation_cert(x, GEN_DNS, (const unsigned char *)"device.example.com", 18);
	assert_int_equal(X509_verify(x, key), 1);	/* self-signed with the throwaway key */
	X509_free(x);
	assert_int_equal(ck_tlsalpn01_cert(key, "ip", "192.0.2.7", KEYAUTH, &x), 0);
	assert_validation_cert(x, GEN_IPADD, (const unsigned char *)"\xc0\x00\x02\x07", 4);
	X509_free(x);
	EVP_PKEY_free(key);
}

/*
 * One TLS client handshake to 127.0.0.1:port with sni and alpn (NULL:
 * none); 1 when it completed (the peer's certificate in *peer if asked), else 0.
 */
static int
handshake(int port, const char *sni, const char *alpn, X509 **peer)
{
	struct sockaddr_in sin;
	unsigned char protos[64];
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = NULL;
	int fd, ok = 0;

	assert_non_null(ctx);
	assert_true((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_non_null(ssl = SSL_new(ctx));
	assert_int_equal(SSL_set_fd(ssl, fd), 1);
	if (sni != NULL)
		assert_int_equal(SSL_set_tlsext_host_name(ssl, sni), 1);
	if (alpn != NULL) {
		protos[0] = (unsigned char)strlen(alpn);
		memcpy(protos + 1, alpn, strlen(alpn));
		assert_int_equal(SSL_set_alpn_protos(ssl, protos, 1 + strlen(alpn)), 0);
	}
	if (SSL_connect(ssl) == 1) {
		ok = 1;
		if (peer != NULL)
			*peer = SSL_get1_peer_certificate(ssl);
	}
	ERR_clear_error();
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return ok;
}

/* Non-zero when something accepts connections on 127.0.0.1:port. */
static int
port_open(int port)
{
	struct sockaddr_in sin;
	int fd, ok;

	assert_true((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
	close(fd);
	return ok;
}

/*
 * Broken if the responder answers anything but ALPN acme-tls/1 for a name
 * being validated, if it answers that one without the validation
 * certificate, or if it listens before the first present or after the last cleanup.
 */
static void
test_tlsalpn_responder(void **state)
{
	struct ck_chall a = { "dns", "a.example", 0, TOKEN, KEYAUTH };
	struct ck_chall ip = { "ip", "192.0.2.7", 0, "otherTokenOtherToken", KEYAUTH };
	struct ck_solver *s = NULL;
	int port = ck_test_free_port();
	X509 *peer = NULL;

	(void)state;
	assert_int_equal(ck_tlsalpn01_solver_new(port, &s), 0);
	assert_string_equal(s->type, "tls-alpn-01");
	assert_false(port_open(port));
	assert_int_equal(ck_solver_present(s, &a), 0);
	assert_int_equal(ck_solver_present(s, &ip), 0);
	assert_true(port_open(port));

	assert_int_equal(handshake(port, "a.example", CK_TLSALPN01_PROTO, &peer), 1);
	assert_non_null(peer);
	assert_validation_cert(peer, GEN_DNS, (const unsigned char *)"a.example", 9);
	X509_free(peer);
	peer = NULL;
	assert_int_equal(handshake(port, "A.Example", CK_TLSALPN01_PROTO, NULL), 1);
	assert_int_equal(handshake(port, "7.2.0.192.in-addr.arpa", CK_TLSALPN01_PROTO, &peer), 1);
	assert_validation_cert(peer, GEN_IPADD, (const unsigned char *)"\xc0\x00\x02\x07", 4);
	X509_free(peer);
	/* Refused: another name, no name, another protocol, no protocol. */
	assert_int_equal(handshake(port, "b.example", CK_TLSALPN01_PROTO, NULL), 0);
	assert_int_equal(handshake(port, NULL, CK_TLSALPN01_PROTO, NULL), 0);
	assert_int_equal(handshake(port, "a.example", "h2", NULL), 0);
	assert_int_equal(handshake(port, "a.example", "acme-tls/10", NULL), 0);
	assert_int_equal(handshake(port, "a.example", NULL, NULL), 0);

	/* After a cleanup its name is refused; after the last one nothing listens. */
	ck_solver_cleanup(s, &a);
	assert_int_equal(handshake(port, "a.example", CK_TLSALPN01_PROTO, NULL), 0);
	assert_true(port_open(port));
	ck_solver_cleanup(s, &ip);
	assert_false(port_open(port));
	ck_solver_free(s);
}

/* --- webroot ----------------------------------------------------------------- */

/* Broken if a token that is not base64url could become a file name. */
static void
test_webroot_token(void **state)
{
	(void)state;
	assert_true(ck_webroot_token_ok(TOKEN));
	assert_true(ck_webroot_token_ok("a"));
	assert_false(ck_webroot_token_ok(""));
	assert_false(ck_webroot_token_ok(NULL));
	assert_false(ck_webroot_token_ok(".."));
	assert_false(ck_webroot_token_ok("../../etc/passwd"));
	assert_false(ck_webroot_token_ok("a/b"));
	assert_false(ck_webroot_token_ok("abc="));
	assert_false(ck_webroot_token_ok("a b"));
}

/*
 * Broken if the token file is not DIR/.well-known/acme-challenge/TOKEN
 * holding the key authorization, mode 0644 under umask 077, with the
 * directories made 0755, or if cleanup leaves it; or if a bad token writes.
 */
static void
test_webroot_files(void **state)
{
	struct ck_chall c = { "dns", "a.example", 0, TOKEN, KEYAUTH };
	struct ck_chall bad = { "dns", "a.example", 0, "..", KEYAUTH };
	struct ck_solver *s = NULL;
	char path[512], text[256];
	struct stat st;
	mode_t old = umask(077);

	(void)state;
	assert_int_equal(ck_webroot_solver_new(tmpdir, &s), 0);
	assert_string_equal(s->type, "http-01");
	assert_int_equal(ck_solver_present(s, &c), 0);
	snprintf(path, sizeof(path), "%s/.well-known/acme-challenge/" TOKEN, tmpdir);
	assert_string_equal(slurp(path, text, sizeof(text)), KEYAUTH);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	snprintf(path, sizeof(path), "%s/.well-known", tmpdir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	snprintf(path, sizeof(path), "%s/.well-known/acme-challenge", tmpdir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	ck_solver_cleanup(s, &c);
	snprintf(path, sizeof(path), "%s/.well-known/acme-challenge/" TOKEN, tmpdir);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(ck_solver_present(s, &bad), -1);
	assert_non_null(strstr(ck_last_error(), "not 1..256 base64url characters"));
	ck_solver_free(s);
	umask(old);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ip_parse),
		cmocka_unit_test(test_ip_reverse),
		cmocka_unit_test(test_dns01_value),
		cmocka_unit_test_setup_teardown(test_dns01_hook, mk_tmp, rm_tmp),
		cmocka_unit_test(test_tlsalpn_ext_value),
		cmocka_unit_test(test_tlsalpn_cert),
		cmocka_unit_test(test_tlsalpn_responder),
		cmocka_unit_test(test_webroot_token),
		cmocka_unit_test_setup_teardown(test_webroot_files, mk_tmp, rm_tmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
