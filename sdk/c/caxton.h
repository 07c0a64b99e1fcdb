/*
 * caxton.h: the Caxton agent SDK for C (header-only). Guide: docs/sdk-c.md;
 * the contract it implements: docs/agent-abi.md.
 *
 *   #include "caxton.h"
 *   static int on_message(const cx_msg *m) {
 *     return cx_reply_raw(m, CX_INFORM, m->content, m->content_len);
 *   }
 *   CAXTON_AGENT(.on_message = on_message);
 *
 * CAXTON_AGENT(...) must appear in exactly one file of the agent: it defines
 * the exports the host calls (caxton_abi_version, caxton_alloc, caxton_init,
 * caxton_handle, caxton_on_timer) and the SDK's state (one struct, so a
 * multi-file agent shares one outbox and one heap). Everything else is
 * `static inline`: what the agent does not call is not compiled in, and a
 * host import the agent never uses is not imported.
 *
 * Two build modes (same source):
 *  - freestanding (--target=wasm32 -ffreestanding -nostdlib -mbulk-memory):
 *    no libc; ABI 1; memory imported (-Wl,--import-memory). cx_heap_alloc is
 *    a bump allocator over memory.grow; nothing is allocated per message.
 *  - wasi-libc (--target=wasm32-wasi -mexec-model=reactor): printf, malloc...
 *    work; ABI 2 (the host offers capability-free WASI and calls _initialize).
 * The ABI version reported follows the mode (CAXTON_ABI_VERSION).
 */
#ifndef CAXTON_H
#define CAXTON_H

#include <stdarg.h>
#include "caxton_msgpack.h"

#ifndef CAXTON_ABI_VERSION
#  ifdef __wasi__
#    define CAXTON_ABI_VERSION 2 /* the module imports wasi_snapshot_preview1 */
#  else
#    define CAXTON_ABI_VERSION 1
#  endif
#endif
#if !defined(__wasi__) && !defined(__wasm_bulk_memory__)
#  error "caxton.h: build freestanding agents with -mbulk-memory (copies become memory.copy; there is no libc memcpy)"
#endif

/* Size of the one outgoing frame buffer: the server's default maximum frame. */
#ifndef CAXTON_OUTBOX_SIZE
#  define CAXTON_OUTBOX_SIZE 65536
#endif
/* Longest line cx_logf formats (longer ones are cut); the host takes 8 KiB. */
#ifndef CAXTON_LOG_LINE_SIZE
#  define CAXTON_LOG_LINE_SIZE 1024
#endif

/* ------------------------------------------------------------------------ */
/* Constants (docs/agent-abi.md)                                            */

/* Return codes of sends and host calls. */
enum {
  CX_OK = 0,
  CX_BAD_FRAME = -1,          /* an SDK bug, or send outside a handler */
  CX_UNKNOWN_DESTINATION = -2, /* no agent at that slot / of that name: look it up again */
  CX_MAILBOX_FULL = -3,       /* back-pressure: nothing was sent, retry later */
  CX_TOO_MANY_TIMERS = -4,
  CX_TOO_LARGE = -5,          /* frame over the server's maximum (or over CAXTON_OUTBOX_SIZE) */
  CX_AGENT_STOPPED = -6,
  CX_PROTOCOL_VIOLATION = -7
};

/* FIPA performatives (FIPA SC00037, alphabetical codes). */
typedef enum {
  CX_ACCEPT_PROPOSAL = 0, CX_AGREE, CX_CANCEL, CX_CFP, CX_CONFIRM, CX_DISCONFIRM,
  CX_FAILURE, CX_INFORM, CX_INFORM_IF, CX_INFORM_REF, CX_NOT_UNDERSTOOD,
  CX_PROPAGATE, CX_PROPOSE, CX_PROXY, CX_QUERY_IF, CX_QUERY_REF, CX_REFUSE,
  CX_REJECT_PROPOSAL, CX_REQUEST, CX_REQUEST_WHEN, CX_REQUEST_WHENEVER,
  CX_SUBSCRIBE
} cx_performative;

/* Interaction protocols the host checks (frame byte 76, docs/fipa.md). */
enum { CX_PROTOCOL_NONE = 0, CX_FIPA_REQUEST, CX_FIPA_QUERY, CX_FIPA_CONTRACT_NET, CX_FIPA_SUBSCRIBE };

enum { CX_TRACE = 10, CX_DEBUG = 20, CX_INFO = 30, CX_WARN = 40, CX_ERROR = 50 };

enum { CX_FRAME_HEADER_SIZE = 80, CX_FLAG_TRACE_SAMPLED = 1, CX_FLAG_HOST_GENERATED = 2 };

/* "inform", "query-ref"... ("unknown" past the table). */
static inline const char *cx_performative_name(int code) {
  static const char *const names[] = {
    "accept-proposal", "agree", "cancel", "cfp", "confirm", "disconfirm", "failure",
    "inform", "inform-if", "inform-ref", "not-understood", "propagate", "propose",
    "proxy", "query-if", "query-ref", "refuse", "reject-proposal", "request",
    "request-when", "request-whenever", "subscribe",
  };
  return code >= 0 && code < (int)(sizeof names / sizeof names[0]) ? names[code] : "unknown";
}

/* ------------------------------------------------------------------------ */
/* Host imports (module "caxton"); use the cx_ wrappers below.              */

#define CX_IMPORT(name) __attribute__((import_module("caxton"), import_name(name)))
CX_IMPORT("send") int32_t cx__host_send(const void *frame, int32_t len);
CX_IMPORT("lookup") int32_t cx__host_lookup(const char *name, int32_t len);
CX_IMPORT("self_slot") int32_t cx__host_self_slot(void);
CX_IMPORT("log") void cx__host_log(int32_t level, const char *text, int32_t len);
CX_IMPORT("now") double cx__host_now(void);
CX_IMPORT("set_timer") int32_t cx__host_set_timer(int32_t delay_ms, int32_t token);
CX_IMPORT("cancel_timer") int32_t cx__host_cancel_timer(int32_t timer_id);
CX_IMPORT("message_id_lo") int32_t cx__host_message_id_lo(void);
CX_IMPORT("message_id_hi") int32_t cx__host_message_id_hi(void);

/* ------------------------------------------------------------------------ */
/* The incoming message                                                     */

/*
 * One message, decoded from its frame header by the SDK before your handler
 * runs. Pointers point into the inbox: valid only during that call (the host
 * writes the next frame there; copy out what you keep).
 */
typedef struct {
  const uint8_t *frame;  /* the whole frame */
  uint32_t frame_len;
  int performative;      /* cx_performative */
  int protocol;          /* CX_FIPA_REQUEST...; 0 none */
  uint32_t flags;        /* CX_FLAG_* */
  int32_t sender;        /* slot to reply to */
  uint32_t sender_generation;
  uint64_t message_id;
  uint64_t conversation_id; /* 0 = none */
  uint64_t in_reply_to;     /* 0 = none */
  const uint8_t *params;    /* msgpack map of ACL parameters (params_len may be 0) */
  uint32_t params_len;
  const uint8_t *content;   /* one msgpack value */
  uint32_t content_len;
} cx_msg;

static inline cx_reader cx_msg_content(const cx_msg *m) { return cx_reader_init(m->content, m->content_len); }
static inline cx_reader cx_msg_params(const cx_msg *m) { return cx_reader_init(m->params, m->params_len); }

/* The string parameter `key` ("ontology", "language"...): true and *s, *len set if present. */
static inline bool cx_msg_param_str(const cx_msg *m, const char *key, const char **s, uint32_t *len) {
  cx_reader r = cx_msg_params(m);
  return cx_find_key(&r, key) && cx_read_str(&r, s, len);
}

/* ------------------------------------------------------------------------ */
/* SDK state (defined once, by CAXTON_AGENT)                                */

typedef struct {
  int (*on_message)(const cx_msg *msg);  /* required: 0, or < 0 to dead-letter the message */
  int (*on_init)(cx_reader config);      /* optional: 0, or < 0 to refuse to start */
  void (*on_timer)(int32_t token);       /* optional: a timer set with cx_set_timer fired */
} cx_agent;

typedef struct {
  uint8_t *inbox;        /* region handed to the host by caxton_alloc */
  uint32_t inbox_cap;
  uint8_t *config;       /* the config, copied at init (the inbox is reused) */
  uint32_t config_len;
  uintptr_t heap_top;    /* freestanding bump allocator: next free byte (0 = not started) */
  cx_writer out;         /* writes into outbox; pos starts after the header */
  int32_t c_dest, c_perf, c_proto;
  uint64_t c_conv, c_reply_to;
  uint32_t c_params_len;
  int32_t self_slot;     /* cached; -1 unknown */
  uint8_t *outbox;       /* CAXTON_OUTBOX_SIZE bytes from the heap, made at init */
  char line[CAXTON_LOG_LINE_SIZE];
} cx__state_t;
extern cx__state_t cx__state;

/* ------------------------------------------------------------------------ */
/* Memory                                                                   */

#ifdef __wasi__
#include <stdlib.h>
/* With wasi-libc, malloc owns memory.grow: the SDK uses it too. */
static inline void *cx_heap_alloc(uint32_t n) { return malloc(n ? n : 1); }
#else
extern unsigned char __heap_base; /* first byte after data and stack (wasm-ld) */
/*
 * Freestanding bump allocator: `n` bytes (8-aligned) that are never freed,
 * growing the memory when needed; NULL when the agent's memory limit refuses
 * the growth. For what lives as long as the instance (tables, buffers made at
 * init); the SDK allocates only the inbox and the config copy with it.
 */
static inline void *cx_heap_alloc(uint32_t n) {
  cx__state_t *s = &cx__state;
  if (!s->heap_top) s->heap_top = (uintptr_t)&__heap_base;
  uintptr_t start = (s->heap_top + 7) & ~(uintptr_t)7;
  if (n > UINTPTR_MAX - start) return NULL;
  uint64_t end = (uint64_t)start + n;
  uint64_t have = (uint64_t)__builtin_wasm_memory_size(0) << 16;
  if (end > have) {
    uint64_t pages = (end - have + 65535) >> 16;
    if (__builtin_wasm_memory_grow(0, (uintptr_t)pages) == (uintptr_t)-1) return NULL;
  }
  s->heap_top = (uintptr_t)end;
  return (void *)start;
}
#endif

/* ------------------------------------------------------------------------ */
/* Host services                                                            */

/* Wall-clock milliseconds since the Unix epoch, with a sub-millisecond fraction. */
static inline double cx_now(void) { return cx__host_now(); }
/* Calls on_timer(token) after delay_ms; a timer id >= 0, or CX_TOO_MANY_TIMERS. One-shot. */
static inline int32_t cx_set_timer(int32_t delay_ms, int32_t token) { return cx__host_set_timer(delay_ms, token); }
/* 0, or -2 if there is no such timer. */
static inline int32_t cx_cancel_timer(int32_t timer_id) { return cx__host_cancel_timer(timer_id); }

/* Slot of the agent called `name` (n bytes), or CX_UNKNOWN_DESTINATION. Keep the slot: resolve off the hot path. */
static inline int32_t cx_lookup_n(const char *name, uint32_t n) { return cx__host_lookup(name, (int32_t)n); }
static inline int32_t cx_lookup(const char *name) { return cx_lookup_n(name, cx_strlen(name)); }
static inline int32_t cx_self_slot(void) {
  if (cx__state.self_slot < 0) cx__state.self_slot = cx__host_self_slot();
  return cx__state.self_slot;
}

/* Message id the host gave the last frame this agent sent (to match replies by in_reply_to). */
static inline uint64_t cx_sent_message_id(void) {
  return ((uint64_t)(uint32_t)cx__host_message_id_hi() << 32) | (uint32_t)cx__host_message_id_lo();
}

/* The config (msgpack map, or nil), copied at init: readable for the instance's life. */
static inline cx_reader cx_config(void) { return cx_reader_init(cx__state.config, cx__state.config_len); }
static inline int64_t cx_config_int(const char *key, int64_t dflt) {
  cx_reader r = cx_config();
  int64_t v;
  return cx_find_key(&r, key) && cx_read_int(&r, &v) ? v : dflt;
}
static inline double cx_config_f64(const char *key, double dflt) {
  cx_reader r = cx_config();
  double v;
  return cx_find_key(&r, key) && cx_read_f64(&r, &v) ? v : dflt;
}
static inline bool cx_config_bool(const char *key, bool dflt) {
  cx_reader r = cx_config();
  bool v;
  return cx_find_key(&r, key) && cx_read_bool(&r, &v) ? v : dflt;
}
/* A string: true and *s, *len set (pointing into the config copy, valid for good). */
static inline bool cx_config_str(const char *key, const char **s, uint32_t *len) {
  cx_reader r = cx_config();
  return cx_find_key(&r, key) && cx_read_str(&r, s, len);
}

/* ------------------------------------------------------------------------ */
/* Logging                                                                  */

/* One line (UTF-8, `len` bytes) at level CX_TRACE..CX_ERROR. */
static inline void cx_log_n(int level, const char *text, uint32_t len) { cx__host_log(level, text, (int32_t)len); }
static inline void cx_log(int level, const char *text) { cx_log_n(level, text, cx_strlen(text)); }

#include "caxton_format.h"

/* printf-style line (see caxton_format.h for the conversions), formatted into a fixed buffer. */
static inline void cx_vlogf(int level, const char *fmt, va_list ap) {
  uint32_t n = cx_vformat(cx__state.line, sizeof cx__state.line, fmt, ap);
  cx_log_n(level, cx__state.line, n);
}
__attribute__((format(printf, 2, 3))) static inline void cx_logf(int level, const char *fmt, ...) {
  va_list ap; va_start(ap, fmt); cx_vlogf(level, fmt, ap); va_end(ap);
}
#define CX__LEVEL_LOGF(fn, lvl) \
  __attribute__((format(printf, 1, 2))) static inline void fn(const char *fmt, ...) { \
    va_list ap; va_start(ap, fmt); cx_vlogf(lvl, fmt, ap); va_end(ap); }
CX__LEVEL_LOGF(cx_tracef, CX_TRACE)
CX__LEVEL_LOGF(cx_debugf, CX_DEBUG)
CX__LEVEL_LOGF(cx_infof, CX_INFO)
CX__LEVEL_LOGF(cx_warnf, CX_WARN)
CX__LEVEL_LOGF(cx_errorf, CX_ERROR)

/* ------------------------------------------------------------------------ */
/* Sending. Every send builds its frame in the one outbox and calls          */
/* caxton.send, which copies it: sends never allocate. All return CX_OK or  */
/* a negative error (CX_MAILBOX_FULL...).                                   */

static inline void cx__store32(uint8_t *p, uint32_t v) { __builtin_memcpy(p, &v, 4); } /* little-endian, like wasm */
static inline void cx__store64(uint8_t *p, uint64_t v) { __builtin_memcpy(p, &v, 8); }
static inline uint32_t cx__load32(const uint8_t *p) { uint32_t v; __builtin_memcpy(&v, p, 4); return v; }
static inline uint64_t cx__load64(const uint8_t *p) { uint64_t v; __builtin_memcpy(&v, p, 8); return v; }

/* Starts a frame: the outbox writer, positioned after the header, no params. */
static inline cx_writer *cx__begin(void) {
  cx__state_t *s = &cx__state;
  s->out = cx_writer_init(s->outbox, CAXTON_OUTBOX_SIZE);
  s->out.pos = CX_FRAME_HEADER_SIZE;
  s->c_params_len = 0;
  return &s->out;
}

/* Fills the agent-owned header fields and hands the frame to the host. */
static inline int cx__commit(int32_t dest, int perf, uint64_t conv, uint64_t reply_to, uint32_t params_len, int proto) {
  cx__state_t *s = &cx__state;
  if (s->out.overflow) return CX_TOO_LARGE;
  uint8_t *b = s->outbox;
  uint32_t len = s->out.pos;
  cx__store32(b + 0, len);
  cx__store32(b + 4, 1u | ((uint32_t)(perf & 0xff) << 8)); /* version 1, performative, flags 0 */
  cx__store32(b + 8, (uint32_t)dest);
  cx__store64(b + 32, conv);
  cx__store64(b + 40, reply_to);
  cx__store32(b + 72, params_len);
  cx__store32(b + 76, (uint32_t)proto & 0xff); /* protocol, reserved 0 */
  return cx__host_send(b, (int32_t)len);
}

/*
 * Composing any content: cx_compose returns the outbox writer; write ONE
 * msgpack value, optionally cx_set_conversation / cx_set_in_reply_to /
 * cx_set_protocol / cx_set_params (any order), then cx_dispatch(). Any other
 * send in between discards the composed message.
 */
static inline cx_writer *cx_compose(int32_t dest, int perf) {
  cx__state_t *s = &cx__state;
  s->c_dest = dest; s->c_perf = perf; s->c_proto = 0; s->c_conv = 0; s->c_reply_to = 0;
  return cx__begin();
}
/* Addressed as a reply to m: its sender, conversation and protocol; in_reply_to = its id. */
static inline cx_writer *cx_compose_reply(const cx_msg *m, int perf) {
  cx_writer *w = cx_compose(m->sender, perf);
  cx__state.c_conv = m->conversation_id;
  cx__state.c_reply_to = m->message_id;
  cx__state.c_proto = m->protocol;
  return w;
}
static inline void cx_set_conversation(uint64_t id) { cx__state.c_conv = id; }
static inline void cx_set_in_reply_to(uint64_t id) { cx__state.c_reply_to = id; }
static inline void cx_set_protocol(int code) { cx__state.c_proto = code; }
/* ACL parameters: a raw msgpack map (len bytes); before or after the content. */
static inline void cx_set_params(const void *params, uint32_t len) {
  cx__state_t *s = &cx__state;
  uint32_t old_start = CX_FRAME_HEADER_SIZE + s->c_params_len;
  uint32_t content_len = s->out.pos - old_start;
  if (s->out.overflow || len > CAXTON_OUTBOX_SIZE - CX_FRAME_HEADER_SIZE - content_len) { s->out.overflow = true; return; }
  __builtin_memmove(s->outbox + CX_FRAME_HEADER_SIZE + len, s->outbox + old_start, content_len);
  __builtin_memcpy(s->outbox + CX_FRAME_HEADER_SIZE, params, len);
  s->out.pos = CX_FRAME_HEADER_SIZE + len + content_len;
  s->c_params_len = len;
}
static inline int cx_dispatch(void) {
  cx__state_t *s = &cx__state;
  return cx__commit(s->c_dest, s->c_perf, s->c_conv, s->c_reply_to, s->c_params_len, s->c_proto);
}

/* Already-encoded msgpack content (len bytes). */
static inline int cx_send_raw(int32_t dest, int perf, const void *content, uint32_t len) {
  cx_write_raw(cx_compose(dest, perf), content, len);
  return cx_dispatch();
}
static inline int cx_reply_raw(const cx_msg *m, int perf, const void *content, uint32_t len) {
  cx_write_raw(cx_compose_reply(m, perf), content, len);
  return cx_dispatch();
}
/* One value, typed. */
static inline int cx_send_nil(int32_t dest, int perf) { cx_write_nil(cx_compose(dest, perf)); return cx_dispatch(); }
static inline int cx_send_bool(int32_t dest, int perf, bool v) { cx_write_bool(cx_compose(dest, perf), v); return cx_dispatch(); }
static inline int cx_send_int(int32_t dest, int perf, int64_t v) { cx_write_int(cx_compose(dest, perf), v); return cx_dispatch(); }
static inline int cx_send_f64(int32_t dest, int perf, double v) { cx_write_f64(cx_compose(dest, perf), v); return cx_dispatch(); }
static inline int cx_send_str(int32_t dest, int perf, const char *v) { cx_write_str(cx_compose(dest, perf), v); return cx_dispatch(); }
static inline int cx_reply_nil(const cx_msg *m, int perf) { cx_write_nil(cx_compose_reply(m, perf)); return cx_dispatch(); }
static inline int cx_reply_bool(const cx_msg *m, int perf, bool v) { cx_write_bool(cx_compose_reply(m, perf), v); return cx_dispatch(); }
static inline int cx_reply_int(const cx_msg *m, int perf, int64_t v) { cx_write_int(cx_compose_reply(m, perf), v); return cx_dispatch(); }
static inline int cx_reply_f64(const cx_msg *m, int perf, double v) { cx_write_f64(cx_compose_reply(m, perf), v); return cx_dispatch(); }
static inline int cx_reply_str(const cx_msg *m, int perf, const char *v) { cx_write_str(cx_compose_reply(m, perf), v); return cx_dispatch(); }

/*
 * m unchanged (params, content, conversation, in_reply_to) to dest, as
 * performative perf. The protocol code is not copied (as in the
 * AssemblyScript SDK): the forward is not a step of m's protocol between m's
 * sender and this agent; cx_compose + cx_set_protocol if it must be.
 */
static inline int cx_forward_as(const cx_msg *m, int32_t dest, int perf) {
  cx_writer *w = cx__begin();
  cx_write_raw(w, m->frame + CX_FRAME_HEADER_SIZE, m->frame_len - CX_FRAME_HEADER_SIZE);
  return cx__commit(dest, perf, m->conversation_id, m->in_reply_to, m->params_len, CX_PROTOCOL_NONE);
}
static inline int cx_forward(const cx_msg *m, int32_t dest) { return cx_forward_as(m, dest, m->performative); }

/* ------------------------------------------------------------------------ */
/* The exports (used by CAXTON_AGENT)                                       */

static inline void *cx__alloc(int32_t size) {
  cx__state_t *s = &cx__state;
  uint32_t want = size < 0 ? 0 : (uint32_t)size;
  if (s->inbox && want <= s->inbox_cap) return s->inbox; /* the alloc contract: reuse until a bigger frame */
  uint32_t cap = 1024;
  while (cap < want && cap < 0x80000000u) cap <<= 1;
  if (cap < want) __builtin_trap(); /* over 2 GiB: no agent memory limit allows it */
#ifdef __wasi__
  free(s->inbox);
  s->inbox = (uint8_t *)malloc(cap);
#else
  /* The old region is abandoned; regions double, so all of them take < 2x the last. */
  s->inbox = (uint8_t *)cx_heap_alloc(cap);
#endif
  if (!s->inbox) __builtin_trap(); /* memory limit reached: the host restarts the agent */
  s->inbox_cap = cap;
  return s->inbox;
}

static inline int32_t cx__init(const cx_agent *a, const uint8_t *config, int32_t len) {
  cx__state_t *s = &cx__state;
  s->self_slot = -1;
  /*
   * The outbox comes from the heap, not from static data: with an imported
   * memory the linker zero-fills static data at instantiation, which would
   * touch (and make resident) all 64 KiB in every instance. Fresh pages from
   * memory.grow cost nothing until written, and a frame touches only its bytes.
   */
  s->outbox = (uint8_t *)cx_heap_alloc(CAXTON_OUTBOX_SIZE);
  if (!s->outbox) return -1;
  if (!a->on_message) {
    cx_log(CX_ERROR, "no message handler: write CAXTON_AGENT(.on_message = your_function)");
    return -1;
  }
  /* Copy the config out of the inbox, which the next frame overwrites. */
  s->config_len = len > 0 ? (uint32_t)len : 0;
  s->config = s->config_len ? (uint8_t *)cx_heap_alloc(s->config_len) : NULL;
  if (s->config_len && !s->config) return -1;
  if (s->config_len) __builtin_memcpy(s->config, config, s->config_len);
  return a->on_init ? a->on_init(cx_config()) : 0;
}

static inline int32_t cx__handle(const cx_agent *a, const uint8_t *f, int32_t len) {
  /* Cheap checks so that nothing reads past the frame. */
  if (len < CX_FRAME_HEADER_SIZE || cx__load32(f) != (uint32_t)len) return CX_BAD_FRAME;
  uint32_t params_len = cx__load32(f + 72);
  if (params_len > (uint32_t)len - CX_FRAME_HEADER_SIZE) return CX_BAD_FRAME;
  cx_msg m;
  m.frame = f;
  m.frame_len = (uint32_t)len;
  m.performative = f[5];
  m.protocol = f[76];
  m.flags = (uint32_t)f[6] | ((uint32_t)f[7] << 8);
  m.sender = (int32_t)cx__load32(f + 16);
  m.sender_generation = cx__load32(f + 20);
  m.message_id = cx__load64(f + 24);
  m.conversation_id = cx__load64(f + 32);
  m.in_reply_to = cx__load64(f + 40);
  m.params = f + CX_FRAME_HEADER_SIZE;
  m.params_len = params_len;
  m.content = m.params + params_len;
  m.content_len = (uint32_t)len - CX_FRAME_HEADER_SIZE - params_len;
  return a->on_message(&m);
}

#define CX_EXPORT(name) __attribute__((export_name(name), visibility("default")))

/*
 * Defines the agent: its handlers (designated initializers of cx_agent), the
 * exports, and the SDK state. Handlers go through a const struct the compiler
 * sees whole, so the calls are direct (no function table at -O1 and up).
 */
#define CAXTON_AGENT(...)                                                                     \
  cx__state_t cx__state;                                                                      \
  static const cx_agent cx__agent = { __VA_ARGS__ };                                          \
  CX_EXPORT("caxton_abi_version") int32_t caxton_abi_version(void) { return CAXTON_ABI_VERSION; } \
  CX_EXPORT("caxton_alloc") void *caxton_alloc(int32_t size) { return cx__alloc(size); }      \
  CX_EXPORT("caxton_init") int32_t caxton_init(const uint8_t *config, int32_t len) {          \
    return cx__init(&cx__agent, config, len);                                                 \
  }                                                                                           \
  CX_EXPORT("caxton_handle") int32_t caxton_handle(const uint8_t *frame, int32_t len) {       \
    return cx__handle(&cx__agent, frame, len);                                                \
  }                                                                                           \
  CX_EXPORT("caxton_on_timer") void caxton_on_timer(int32_t token) {                          \
    if (cx__agent.on_timer) cx__agent.on_timer(token);                                        \
  }                                                                                           \
  typedef int cx__agent_defined_here /* swallows the caller's semicolon */

#endif /* CAXTON_H */
