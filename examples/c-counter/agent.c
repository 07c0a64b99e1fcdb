/*
 * c-counter: the C counterpart of examples/counter. Keeps a signed 64-bit
 * count across messages (a global: it lives as long as the instance).
 *  - REQUEST <integer n> adds n (an integral float64 counts: JavaScript
 *    encoders write big integers that way); REQUEST "inc" adds 1; then
 *    replies INFORM <new count>.
 *  - QUERY_REF (any content) replies INFORM <count>.
 *  - Anything else gets NOT_UNDERSTOOD with a string saying what is understood.
 * Config: { start?: int } (default 0); a restart starts again from it.
 * Freestanding C (no libc), agent ABI 1.
 */
#include "../../sdk/c/caxton.h"

static int64_t count;

static int on_init(cx_reader config) {
  (void)config; /* cx_config_int reads the same map */
  count = cx_config_int("start", 0);
  return 0;
}

static int on_message(const cx_msg *m) {
  int rc;
  if (m->performative == CX_REQUEST) {
    cx_reader r = cx_msg_content(m);
    int64_t n;
    if (cx_read_int(&r, &n)) {
      count += n;
      rc = cx_reply_int(m, CX_INFORM, count);
    } else if (cx_read_str_eq(&r, "inc")) {
      count += 1;
      rc = cx_reply_int(m, CX_INFORM, count);
    } else {
      rc = cx_reply_str(m, CX_NOT_UNDERSTOOD, "counter: a REQUEST must carry an integer or the string \"inc\"");
    }
  } else if (m->performative == CX_QUERY_REF) {
    rc = cx_reply_int(m, CX_INFORM, count);
  } else {
    rc = cx_reply_str(m, CX_NOT_UNDERSTOOD, "counter understands REQUEST (integer or \"inc\") and QUERY_REF");
  }
  return rc < 0 ? rc : 0; /* a reply refused by the host dead-letters the input */
}

CAXTON_AGENT(.on_message = on_message, .on_init = on_init);
