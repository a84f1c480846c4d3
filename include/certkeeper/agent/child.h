/*
 * agent/child.h: the resident agent's passes, each in a child process.
 *
 * The agent itself only sleeps between passes; each pass (ck_pass_run) runs
 * in a process forked for it, which opens what the pass needs (libcurl and
 * its 26 libraries, the TPM stack, the connection to the CA), writes its
 * result to the agent and exits.  So the agent's memory between passes is
 * what it needs to wait (about 4 MiB, not 10), whatever a pass loaded, a
 * pass that crashes is one failed pass and not a dead agent, and the
 * network and key code never run in the long-lived process.  The run lock
 * stays with the agent (a flock on the file description both share); an
 * agent that dies takes its pass with it (a stop request, PR_SET_PDEATHSIG).
 */
#ifndef CERTKEEPER_AGENT_CHILD_H
#define CERTKEEPER_AGENT_CHILD_H

#include "certkeeper/agent/pass.h"
#include "certkeeper/agent/session.h"

/*
 * Runs one pass over every certificate, not forced, in a child process on a
 * copy of s, and gives back its result in *r.  A stop requested meanwhile
 * (SIGTERM, SIGINT) is passed on to the child, which ends the pass as it
 * would in-process, and returns once the child has ended.  Returns 0, or -1
 * when the child could not start or ended without its result (reported:
 * *r then counts one failure and says to try again after retry_min).
 */
int ck_pass_run_child(struct ck_session *s, struct ck_pass_result *r);

#endif
