/*
 * agent/push.h: the push of the metrics to the fleet's Prometheus
 * Pushgateway after a pass ([telemetry] push_url), over mutual TLS with
 * the device's installed certificate for push_cert and its key, used
 * through its signer only (a TPM key signs the handshake in the TPM, on
 * the session's one TPM connection).
 *
 * A push is bounded by push_timeout, and never fails a pass: a failure is
 * a warning naming its cause, recorded (store/push.h) for the metrics and
 * `status`, and tried again at the next pass; the resident agent also
 * wakes for it, after CK_PUSH_RETRY_MIN doubling up to CK_PUSH_RETRY_MAX.
 */
#ifndef CERTKEEPER_AGENT_PUSH_H
#define CERTKEEPER_AGENT_PUSH_H

#include <time.h>

#include "certkeeper/agent/session.h"

/*
 * Pushes the metrics at now (nothing when there is no push_url) and
 * records the result.  Returns 0 (pushed, or off), or -1 when the push
 * failed (warned) with *retry_at the time to try again; 0 otherwise.
 */
int ck_push_after_pass(struct ck_session *s, time_t now, time_t *retry_at);

#endif
