/*
 * {{name}}: a first Caxton agent in C. It answers every REQUEST with INFORM
 * "hello, <content>" (when the content is a string) and logs how many it has
 * answered (its state lives as long as the agent). The SDK is in
 * ./caxton-sdk (copied by `caxton init`); its guide: the Caxton docs,
 * docs/sdk-c.md. Freestanding C (no libc), agent ABI 1.
 */
#include "caxton-sdk/caxton.h"

static int answered = 0;
/* the reply's text: a fixed buffer, no allocation per message */
static char reply[512];

static int on_message(const cx_msg *m) {
  if (m->performative != CX_REQUEST) return 0;
  answered++;
  cx_infof("{{name}}: answered %d", answered);
  cx_reader r = cx_msg_content(m);
  const char *text = "";
  uint32_t len = 0;
  if (!cx_read_str(&r, &text, &len)) len = 0;
  static const char hello[] = "hello, ";
  uint32_t n = 0;
  for (uint32_t i = 0; hello[i]; i++) reply[n++] = hello[i];
  for (uint32_t i = 0; i < len && n < sizeof reply; i++) reply[n++] = text[i];
  cx_write_strn(cx_compose_reply(m, CX_INFORM), reply, n);
  int rc = cx_dispatch();
  return rc < 0 ? rc : 0; /* a reply the host refuses dead-letters the request */
}

CAXTON_AGENT(.on_message = on_message);
