/* caxton-build: wasi (scripts/build-c-agents.mjs builds this file against wasi-libc) */
/*
 * c-wasi-echo: an echo agent written against wasi-libc, to show that plain C
 * works: printf goes to stdout, which the host turns into the agent's log
 * (one line per '\n'); malloc/free, snprintf and strlen come from libc.
 * Replies INFORM to every REQUEST with the content copied (through a malloc'd
 * buffer, on purpose). Agent ABI 2: needs a host that offers capability-free WASI.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../sdk/c/caxton.h"

static unsigned long handled;

static int on_init(cx_reader config) {
  (void)config;
  printf("c-wasi-echo: started (abi %d)\n", CAXTON_ABI_VERSION);
  fflush(stdout);
  return 0;
}

static int on_message(const cx_msg *m) {
  handled++;
  printf("c-wasi-echo: %s #%lu in conversation %016llx\n", cx_performative_name(m->performative),
         handled, (unsigned long long)m->conversation_id);
  fflush(stdout); /* stdout is buffered: flush so the line is logged now */
  if (m->performative != CX_REQUEST) return 0;
  uint8_t *copy = malloc(m->content_len ? m->content_len : 1);
  if (!copy) return -1;
  memcpy(copy, m->content, m->content_len);
  int rc = cx_reply_raw(m, CX_INFORM, copy, m->content_len);
  free(copy);
  return rc < 0 ? rc : 0;
}

CAXTON_AGENT(.on_message = on_message, .on_init = on_init);
