/*
 * tests/fuzz/tlsalpn.c: the tls-alpn-01 responder (challenge/tlsalpn01.c)
 * fed arbitrary bytes as a client's first flight.  The real solver presents
 * a challenge for a.example once per process, listening on a free loopback
 * port; each input is written to a new connection (then half-closed) and
 * whatever the responder answers is read until it closes.  The responder
 * serves one connection at a time, so when the read ends the input's
 * handshake is over.  Its ClientHello, SNI and ALPN callbacks run in the
 * responder's thread, where ASan and UBSan watch them too.
 *
 * libFuzzer's timeout check is a SIGALRM every timeout/2 + 1 seconds, and it
 * lands on this thread (the responder blocks all signals): a socket call with
 * SO_RCVTIMEO is never restarted after a handler, so EINTR means "again".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "fuzz.h"
#include "certkeeper/challenge/solver.h"
#include "certkeeper/challenge/tlsalpn01.h"

static int port;

/* A port free right now on the loopback (the responder binds it a moment later). */
static int
free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd, p;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CKFZ_ASSERT((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	CKFZ_ASSERT(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CKFZ_ASSERT(getsockname(fd, (struct sockaddr *)&sa, &len) == 0);
	p = ntohs(sa.sin_port);
	close(fd);
	return p;
}

static void
start(void)
{
	static const struct ck_chall c = {
		.id_type = "dns",
		.identifier = "a.example",
		.token = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA",
		.key_authorization = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA."
		    "9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI",
	};
	struct ck_solver *s = NULL;
	int tries;

	for (tries = 0; tries < 10 && s == NULL; tries++) {
		port = free_port();
		CKFZ_ASSERT(ck_tlsalpn01_solver_new(port, &s) == 0);
		if (ck_solver_present(s, &c) != 0) {
			ck_solver_free(s);
			s = NULL;
		}
	}
	CKFZ_ASSERT(s != NULL);
	/* Kept presented for the life of the process. */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct timeval tv = { 20, 0 };
	char buf[4096];
	size_t off = 0;
	ssize_t n;
	int fd;

	ckfz_init();
	if (port == 0)
		start();
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CKFZ_ASSERT((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	CKFZ_ASSERT(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0);
	while ((n = connect(fd, (struct sockaddr *)&sa, sizeof(sa))) != 0 &&
	    (errno == EINTR || errno == EALREADY))
		;
	/* Interrupted, the connect goes on in the background: EISCONN once done. */
	CKFZ_ASSERT(n == 0 || errno == EISCONN);
	while (off < size) {
		n = send(fd, data + off, size - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;	/* the responder gave up on it already */
		off += (size_t)n;
	}
	(void)shutdown(fd, SHUT_WR);
	/* Until the responder closes: the handshake of this input is over. */
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0 || (n < 0 && errno == EINTR))
		;
	CKFZ_ASSERT(n == 0 || errno == ECONNRESET);
	close(fd);
	return 0;
}
