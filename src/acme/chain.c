/*
 * acme/chain.c: choosing among the chains a CA offers for one certificate
 * (RFC 8555 7.4.2): the download's answer is the default chain, and each
 * Link: rel="alternate" names another one for the same certificate.  The
 * chain installed is the first whose topmost issuer's common name is the
 * preferred one and that passes the order's checks (the same as the
 * default's, cert/check.c, through the accept_chain callback); else the
 * default chain.  At most CK_ACME_MAX_ALT_CHAINS alternates are fetched.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "acme/internal.h"
#include "certkeeper/acme/order.h"
#include "certkeeper/util/log.h"

/*
 * The common name of the issuer of the last certificate in a PEM chain
 * (the root the chain leads to), sanitized into cn; "" when unreadable.
 */
static void
top_issuer_cn(const char *pem, size_t len, char *cn, size_t cnlen)
{
	BIO *bio = NULL;
	X509 *x, *last = NULL;
	char raw[256];
	int n;

	cn[0] = '\0';
	if (len > INT32_MAX || (bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		X509_free(last);
		last = x;
	}
	ERR_clear_error();	/* the end of the text is not an error */
	if (last != NULL && (n = X509_NAME_get_text_by_NID(X509_get_issuer_name(last),
	    NID_commonName, raw, sizeof(raw))) > 0)
		ck_sanitize(cn, cnlen, raw, (size_t)n);
	X509_free(last);
	BIO_free(bio);
}

/* Takes the body of r as the chain (*pem, *pemlen). */
static void
take_body(struct ck_http_resp *r, char **pem, size_t *pemlen)
{
	*pem = r->body;
	*pemlen = r->len;
	r->body = NULL;
}

int
acme_chain_choose(struct ck_acme *a, const struct ck_order_req *req, struct ck_http_resp *def,
    char **pem, size_t *pemlen)
{
	struct ck_http_resp r;
	char cn[256], want[256];
	size_t i, tried = 0;
	int rc = 0;

	memset(&r, 0, sizeof(r));
	if (req->preferred_chain == NULL) {
		take_body(def, pem, pemlen);
		return 0;
	}
	ck_sanitize(want, sizeof(want), req->preferred_chain, SIZE_MAX);
	top_issuer_cn(def->body, def->len, cn, sizeof(cn));
	if (strcmp(cn, req->preferred_chain) == 0) {
		ck_debug("the default chain leads to \"%s\", the preferred chain", want);
		take_body(def, pem, pemlen);
		return 0;
	}
	for (i = 0; i < def->nlinks && tried < CK_ACME_MAX_ALT_CHAINS; i++) {
		const char *url = def->links[i].url;

		if (def->links[i].rel == NULL || strcmp(def->links[i].rel, "alternate") != 0)
			continue;
		tried++;
		if (!acme_url_ok(url, "alternate chain")) {
			ck_warn("skipping an alternate chain: %s", ck_last_error());
			continue;
		}
		if (acme_post(a, url, NULL, 0, &r, "alternate chain download", NULL) != 0 ||
		    !acme_content_type_ok(&r, "alternate chain download",
		    "application/pem-certificate-chain", NULL)) {
			ck_warn("skipping alternate chain %s: %s", url, ck_last_error());
			ck_http_resp_free(&r);
			continue;
		}
		top_issuer_cn(r.body, r.len, cn, sizeof(cn));
		ck_debug("alternate chain %s leads to \"%s\"", url, cn);
		if (strcmp(cn, req->preferred_chain) != 0) {
			ck_http_resp_free(&r);
			continue;
		}
		if (req->accept_chain != NULL && req->accept_chain(req->ctx, r.body, r.len) != 0) {
			ck_warn("alternate chain %s leads to \"%s\" but fails the checks (%s): not "
			    "installing it", url, want, ck_last_error());
			ck_http_resp_free(&r);
			continue;
		}
		ck_info("installing the alternate chain that leads to \"%s\"", want);
		take_body(&r, pem, pemlen);
		ck_http_resp_free(&r);
		return 0;
	}
	top_issuer_cn(def->body, def->len, cn, sizeof(cn));
	ck_info("no chain offered leads to \"%s\" (preferred_chain; %zu alternate%s tried): "
	    "installing the default chain, which leads to \"%s\"", want, tried,
	    tried == 1 ? "" : "s", cn);
	take_body(def, pem, pemlen);
	ck_clear_error();
	return rc;
}
