/*
 * challenge/mhd.h: the libmicrohttpd calls the http-01 responder
 * (challenge/http01.c) makes, through a table filled when the first
 * http-01 solver is made (dlopen).  Debian's libmicrohttpd brings GnuTLS
 * and its eight libraries (nettle, gmp, p11-kit, libtasn1, ...), whose
 * loading and constructors cost a process that links them about a
 * millisecond of CPU at start, and their mappings for its whole life.
 * Opened on need, a process that renews nothing over http-01 (a pass
 * with nothing due, `status`, the resident agent between its passes)
 * never loads them.  A renewal loads GnuTLS with libcurl anyway (for
 * librtmp): opened first (the solver is made before the CA is
 * contacted), libmicrohttpd brings it in with its own short list of
 * libraries, whose symbols ld.so finds in fewer lookups than through
 * libcurl's 27.  Not for use outside src/challenge/.
 */
#ifndef CERTKEEPER_CHALLENGE_MHD_H
#define CERTKEEPER_CHALLENGE_MHD_H

#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

/* Each member points to the function of the same name (MHD_stop_daemon: stop_daemon). */
struct ck_mhd {
	struct MHD_Daemon *(*start_daemon)(unsigned int flags, uint16_t port,
	    MHD_AcceptPolicyCallback apc, void *apc_cls, MHD_AccessHandlerCallback dh,
	    void *dh_cls, ...);
	void (*stop_daemon)(struct MHD_Daemon *daemon);
	struct MHD_Response *(*create_response_from_buffer)(size_t size, void *buffer,
	    enum MHD_ResponseMemoryMode mode);
	enum MHD_Result (*add_response_header)(struct MHD_Response *response,
	    const char *header, const char *content);
	enum MHD_Result (*queue_response)(struct MHD_Connection *connection,
	    unsigned int status_code, struct MHD_Response *response);
	void (*destroy_response)(struct MHD_Response *response);
};

/*
 * The table, libmicrohttpd opened on the first call (thread-safe); NULL
 * when it cannot be opened or lacks a call (reported, CK_ERR_INTERNAL,
 * naming the library and its Debian package).
 */
const struct ck_mhd *ck_mhd_load(void);

#endif
