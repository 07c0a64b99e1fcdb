/*
 * c-echo: replies INFORM with the same content bytes to every REQUEST (the
 * content's msgpack is copied, not re-encoded), and logs every message with
 * its conversation id. Other performatives are logged and not answered.
 * Freestanding C (no libc), agent ABI 1. Built by scripts/build-c-agents.mjs.
 */
#include "../../sdk/c/caxton.h"

static int on_message(const cx_msg *m) {
  cx_infof("c-echo: %s from slot %d in conversation %016llx",
           cx_performative_name(m->performative), (int)m->sender,
           (unsigned long long)m->conversation_id);
  if (m->performative != CX_REQUEST) return 0;
  int rc = cx_reply_raw(m, CX_INFORM, m->content, m->content_len);
  return rc < 0 ? rc : 0; /* a reply the host refuses dead-letters the input */
}

CAXTON_AGENT(.on_message = on_message);
