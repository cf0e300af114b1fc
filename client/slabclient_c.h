/* libslabclient's C API: a thin layer over slabcached::client::Client
 * (client.h) for C programs. The library is C++; its pkg-config file adds
 * the C++ runtime, so a C program links with:
 *   cc app.c $(pkg-config --cflags --libs libslabclient)
 *
 *   slabclient *c = NULL;
 *   if (slabclient_create("10.0.0.1:11211:2,10.0.0.2:11211", NULL, 0, &c) != SLABCLIENT_OK) ...
 *   slabclient_set(c, "user:42", 7, "alice", 5, 0, 300);
 *   char *v; size_t n; uint32_t flags;
 *   if (slabclient_get_alloc(c, "user:42", 7, &v, &n, &flags) == SLABCLIENT_OK) {
 *     use(v, n);  // v is NUL-terminated as well
 *     slabclient_free(v);
 *   }
 *   slabclient_destroy(c);
 *
 * Keys are (pointer, length); the rules are memcached's (1-250 bytes, no
 * spaces or control bytes), else SLABCLIENT_INVALID_ARGUMENT. Every call
 * returns a status; none aborts or throws. Placement, timeouts and
 * auto-eject are the Client's (client.h); the protocol is the classic text
 * protocol unless slabclient_create_with asks for the binary one.
 *
 * Thread safety: like the C++ Client, a slabclient handle is used by one
 * thread at a time (give each thread its own handle, or guard one with a
 * mutex). Distinct handles share nothing, except those of one
 * slabclient_pool, which share their servers' failure state; the pool's
 * calls are thread-safe. slabclient_status_name is thread-safe.
 */
#ifndef SLABCLIENT_C_H
#define SLABCLIENT_C_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum slabclient_status {
  SLABCLIENT_OK = 0,
  SLABCLIENT_NOT_FOUND = 1,
  SLABCLIENT_NOT_STORED = 2,
  SLABCLIENT_EXISTS = 3,
  SLABCLIENT_INVALID_ARGUMENT = 4, /* bad key, server list or distribution */
  SLABCLIENT_CLIENT_ERROR = 5,     /* the server answered CLIENT_ERROR */
  SLABCLIENT_SERVER_ERROR = 6,     /* the server answered SERVER_ERROR */
  SLABCLIENT_PROTOCOL_ERROR = 7,
  SLABCLIENT_TIMEOUT = 8,
  SLABCLIENT_CONNECTION_FAILURE = 9,
  SLABCLIENT_NO_SERVER = 10,         /* every server is ejected */
  SLABCLIENT_SERVER_EJECTED = 11,    /* modula placement picked an ejected server */
  SLABCLIENT_SOME_ERRORS = 12,       /* slabclient_mget: some servers failed */
  SLABCLIENT_AUTH_FAILURE = 13,      /* the server refused the SASL credentials */
  SLABCLIENT_TLS_FAILURE = 14,       /* the TLS handshake failed (unknown CA, wrong name) */
  SLABCLIENT_BUFFER_TOO_SMALL = 100, /* slabclient_get: *value_len is the size needed */
  SLABCLIENT_NO_MEMORY = 101,
  SLABCLIENT_FULL = 102 /* a spool or write-behind queue had no room */
} slabclient_status;

typedef struct slabclient slabclient;

/* Creates a client for `servers` ("host[:port[:weight]],...", as
 * ParseServerList) placed by `distribution` ("ketama-weighted" when NULL or
 * empty; also "ketama-compat-libmemcached", "ketama-compat-spy", "modula").
 * timeout_ms bounds each operation (0: 1000). Connects lazily. */
slabclient_status slabclient_create(const char *servers, const char *distribution,
                                    unsigned timeout_ms, slabclient **out);
void slabclient_destroy(slabclient *client); /* NULL is fine */

/* Copies the value into buf (buf_size bytes). SLABCLIENT_BUFFER_TOO_SMALL
 * copies nothing and sets *value_len to the value's size. flags may be NULL. */
slabclient_status slabclient_get(slabclient *client, const char *key, size_t key_len, char *buf,
                                 size_t buf_size, size_t *value_len, uint32_t *flags);
/* *value is malloc'd (value_len bytes plus a NUL); free it with slabclient_free. */
slabclient_status slabclient_get_alloc(slabclient *client, const char *key, size_t key_len,
                                       char **value, size_t *value_len, uint32_t *flags);
void slabclient_free(void *value);

slabclient_status slabclient_set(slabclient *client, const char *key, size_t key_len,
                                 const char *value, size_t value_len, uint32_t flags,
                                 int64_t exptime);
/* add stores only a missing key, replace only an existing one; otherwise
 * SLABCLIENT_NOT_STORED. */
slabclient_status slabclient_add(slabclient *client, const char *key, size_t key_len,
                                 const char *value, size_t value_len, uint32_t flags,
                                 int64_t exptime);
slabclient_status slabclient_replace(slabclient *client, const char *key, size_t key_len,
                                     const char *value, size_t value_len, uint32_t flags,
                                     int64_t exptime);
/* slabclient_get_alloc plus the item's CAS value (for slabclient_cas). */
slabclient_status slabclient_gets_alloc(slabclient *client, const char *key, size_t key_len,
                                        char **value, size_t *value_len, uint32_t *flags,
                                        uint64_t *cas);
/* Stores only if the item's CAS is still `cas`: SLABCLIENT_EXISTS when it
 * changed since, SLABCLIENT_NOT_FOUND when it is gone. */
slabclient_status slabclient_cas(slabclient *client, const char *key, size_t key_len,
                                 const char *value, size_t value_len, uint32_t flags,
                                 int64_t exptime, uint64_t cas);
slabclient_status slabclient_delete(slabclient *client, const char *key, size_t key_len);
/* new_value may be NULL. */
slabclient_status slabclient_incr(slabclient *client, const char *key, size_t key_len,
                                  uint64_t delta, uint64_t *new_value);
slabclient_status slabclient_decr(slabclient *client, const char *key, size_t key_len,
                                  uint64_t delta, uint64_t *new_value);

/* Called by slabclient_mget once per distinct key found, as its reply is
 * parsed; key and value are valid only during the call (not NUL-terminated).
 * cas is 0 unless with_cas was set. */
typedef void (*slabclient_item_fn)(void *ctx, const char *key, size_t key_len, const char *value,
                                   size_t value_len, uint32_t flags, uint64_t cas);
/* Fetches keys[0..count) (lengths in key_lens) from all their servers at
 * once, calling on_item for each hit; a key listed twice is fetched and
 * delivered once, misses are not reported. SLABCLIENT_OK when every server
 * answered, SLABCLIENT_SOME_ERRORS when some failed (their keys are not
 * delivered), SLABCLIENT_INVALID_ARGUMENT (nothing sent) for a bad key. */
slabclient_status slabclient_mget(slabclient *client, const char *const *keys,
                                  const size_t *key_lens, size_t count, int with_cas,
                                  slabclient_item_fn on_item, void *ctx);

/* The 0-based index (in the server list) of the server owning the key now;
 * no I/O. SLABCLIENT_NO_SERVER when every server is ejected. */
slabclient_status slabclient_locate(slabclient *client, const char *key, size_t key_len,
                                    uint32_t *index);

/* Hot-key replication (hot_keys.h): a marked key is written to the 2
 * distinct servers after its point on the ring (deletes too) and each get
 * reads one of them in turn, spreading a viral key's load. Copies on the
 * second server expire within 60 s. Marking needs no I/O; a delete that
 * could not reach a replica returns its failure (retry it).
 * SLABCLIENT_NO_MEMORY when 10,000 keys are already hot. */
slabclient_status slabclient_mark_hot(slabclient *client, const char *key, size_t key_len);
slabclient_status slabclient_unmark_hot(slabclient *client, const char *key, size_t key_len);
/* Makes the keys of every server's "stats hotkeys <top_n>" report the
 * learned hot set (marked keys stay); the first failure when some server
 * did not answer with one. */
slabclient_status slabclient_learn_hot_keys(slabclient *client, unsigned top_n);

/* A Bloom filter of keys (bloom_filter.h): the penetration guard for C
 * programs. Sized for expected_keys at false_positive_rate (0 < p < 1);
 * add every key that exists in your database, then skip both the cache and
 * the database for keys slabclient_bloom_check rules out (0). To rebuild,
 * create a new filter and swap your pointer (adds and checks may run
 * concurrently; destroy only when no thread uses the filter). */
typedef struct slabclient_bloom slabclient_bloom;
slabclient_status slabclient_bloom_create(uint64_t expected_keys, double false_positive_rate,
                                          slabclient_bloom **out);
void slabclient_bloom_destroy(slabclient_bloom *bloom); /* NULL is fine */
void slabclient_bloom_add(slabclient_bloom *bloom, const char *key, size_t key_len);
/* 1: the key may exist; 0: it was never added. */
int slabclient_bloom_check(const slabclient_bloom *bloom, const char *key, size_t key_len);

/* Reliable invalidation (invalidator.h): each key is deleted on its server,
 * or its delete is spooled in spool_dir (an existing directory) and retried
 * with back-off until the server confirms it, also by the next invalidator
 * opened on the same directory.
 *
 *   slabclient_invalidator *inv = NULL;
 *   slabclient_invalidator_open("10.0.0.1:11211,10.0.0.2:11211", NULL, 0,
 *                               "/var/spool/app", &inv);
 *   slabclient_invalidate(inv, "user:42", 7);    (SLABCLIENT_OK: deleted or spooled)
 *   slabclient_invalidator_retry(inv);           (now and then: due retries)
 *   slabclient_invalidator_close(inv);
 */
typedef struct slabclient_invalidator slabclient_invalidator;
/* SLABCLIENT_INVALID_ARGUMENT for a bad list or distribution, or a spool
 * directory that cannot be opened. */
slabclient_status slabclient_invalidator_open(const char *servers, const char *distribution,
                                              unsigned timeout_ms, const char *spool_dir,
                                              slabclient_invalidator **out);
void slabclient_invalidator_close(slabclient_invalidator *inv); /* NULL is fine */
/* SLABCLIENT_OK when every server of the key confirmed the delete or holds
 * it in its spool (fdatasync'ed); SLABCLIENT_FULL when a spool is full
 * (retry later; nothing is lost). */
slabclient_status slabclient_invalidate(slabclient_invalidator *inv, const char *key,
                                        size_t key_len);
/* Retries what is due; returns the deletes still spooled. */
uint64_t slabclient_invalidator_retry(slabclient_invalidator *inv);

/* Write-behind (write_behind.h): writes to the source of truth queued and
 * applied in batches by `write_batch` on a background thread. RISK: queued
 * writes are lost if the process dies before they are written.
 *
 *   int save(void *db, const slabclient_write *w, size_t n) { ...; return 1; }
 *   slabclient_write_behind_config cfg;
 *   slabclient_write_behind_config_init(&cfg);
 *   slabclient_write_behind *wb = NULL;
 *   slabclient_write_behind_create(&cfg, save, db, &wb);
 *   slabclient_write_behind_enqueue(wb, "user:42", 7, "alice", 5);
 *   slabclient_write_behind_destroy(wb, NULL);    (flushes first)
 */
typedef struct slabclient_write {
  const char *key;
  size_t key_len;
  const char *value;
  size_t value_len;
} slabclient_write;
/* Writes a batch; returns non-zero when all of it was written, 0 to have it
 * retried. Called on one thread at a time (not the caller's). */
typedef int (*slabclient_write_batch_fn)(void *context, const slabclient_write *writes,
                                         size_t count);
typedef enum slabclient_when_full {
  SLABCLIENT_FULL_BLOCK = 0,       /* wait up to block_timeout_ms, then SLABCLIENT_FULL */
  SLABCLIENT_FULL_DROP_NEWEST = 1, /* SLABCLIENT_FULL at once */
  SLABCLIENT_FULL_DROP_OLDEST = 2  /* discard the oldest queued write */
} slabclient_when_full;
typedef struct slabclient_write_behind_config {
  size_t capacity;
  size_t batch_size;
  unsigned max_delay_ms;
  int when_full; /* a slabclient_when_full (an int, so any value is safe to pass) */
  unsigned block_timeout_ms;
  unsigned max_attempts;
  unsigned retry_delay_ms;
} slabclient_write_behind_config;
typedef struct slabclient_write_behind_counts {
  uint64_t enqueued, written, retried, dropped, lost;
} slabclient_write_behind_counts;
typedef struct slabclient_write_behind slabclient_write_behind;
/* The defaults of write_behind.h (capacity 10000, batches of 100, 100 ms). */
void slabclient_write_behind_config_init(slabclient_write_behind_config *config);
slabclient_status slabclient_write_behind_create(const slabclient_write_behind_config *config,
                                                 slabclient_write_batch_fn write_batch,
                                                 void *context, slabclient_write_behind **out);
/* SLABCLIENT_OK when queued; SLABCLIENT_FULL when the queue was full. */
slabclient_status slabclient_write_behind_enqueue(slabclient_write_behind *wb, const char *key,
                                                  size_t key_len, const char *value,
                                                  size_t value_len);
/* Writes everything queued; counts (may be NULL) are the totals so far. */
void slabclient_write_behind_flush(slabclient_write_behind *wb,
                                   slabclient_write_behind_counts *counts);
/* Flushes, stops the thread, frees; counts (may be NULL) as after the flush. */
void slabclient_write_behind_destroy(slabclient_write_behind *wb,
                                     slabclient_write_behind_counts *counts);

/* --- Security: SASL, TLS (a zeroed struct means neither) --- */
typedef struct slabclient_security {
  const char *sasl_username; /* NULL or "": no SASL; else PLAIN over the binary protocol */
  const char *sasl_password;
  int tls;                     /* nonzero: TLS to every server (-Z daemons) */
  const char *tls_ca_file;     /* NULL: OpenSSL's default trust store */
  const char *tls_cert_file;   /* optional client certificate (PEM) */
  const char *tls_key_file;    /* its key; NULL: in tls_cert_file */
  const char *tls_server_name; /* SNI and certificate name check; NULL: neither */
  int tls_skip_verify;         /* nonzero: accept any server certificate */
} slabclient_security;
/* slabclient_create with `security` (NULL: none). A refused login gives
 * SLABCLIENT_AUTH_FAILURE, a failed handshake SLABCLIENT_TLS_FAILURE. */
slabclient_status slabclient_create_secure(const char *servers, const char *distribution,
                                           unsigned timeout_ms, const slabclient_security *security,
                                           slabclient **out);

/* --- Options at creation: protocol and security --- */
typedef enum slabclient_protocol {
  SLABCLIENT_PROTOCOL_TEXT = 0,  /* memcached's classic text protocol (the default) */
  SLABCLIENT_PROTOCOL_BINARY = 1 /* the binary protocol (what -S daemons speak) */
} slabclient_protocol;
typedef struct slabclient_options {
  const char *servers;                 /* "host[:port[:weight]],..." (required) */
  const char *distribution;            /* NULL or "": "ketama-weighted" */
  unsigned timeout_ms;                 /* bounds each operation; 0: 1000 */
  int protocol;                        /* a slabclient_protocol; SASL forces BINARY */
  const slabclient_security *security; /* NULL: neither SASL nor TLS */
} slabclient_options;
/* Zeroes `options`: text protocol, no security, the defaults above. */
void slabclient_options_init(slabclient_options *options);
/* slabclient_create with every option; SLABCLIENT_INVALID_ARGUMENT for a bad
 * server list, distribution or protocol. Results and statuses are the same
 * in both protocols (e.g. add of an existing key is SLABCLIENT_NOT_STORED). */
slabclient_status slabclient_create_with(const slabclient_options *options, slabclient **out);

/* --- A pool of handles for multi-threaded programs (pool.h) ---
 *
 *   slabclient_options opts;
 *   slabclient_options_init(&opts);
 *   opts.servers = "10.0.0.1:11211,10.0.0.2:11211";
 *   slabclient_pool *pool = NULL;
 *   slabclient_pool_create(&opts, 8, &pool);
 *   ...on any thread:
 *   slabclient *c = NULL;
 *   if (slabclient_pool_acquire(pool, 1000, &c) == SLABCLIENT_OK) {
 *     slabclient_set(c, "user:42", 7, "alice", 5, 0, 300);
 *     slabclient_pool_release(pool, c);
 *   }
 *   ...once every handle is released:
 *   slabclient_pool_destroy(pool);
 *
 * The pool's `size` handles (0 counts as 1) share one failure state: a server
 * failing the failure limit in a row, counted over all threads, is ejected
 * for every handle at once. Each handle opens its own connections, lazily. */
typedef struct slabclient_pool slabclient_pool;
slabclient_status slabclient_pool_create(const slabclient_options *options, size_t size,
                                         slabclient_pool **out);
/* Leases a handle to the calling thread, waiting up to wait_ms while all are
 * leased: SLABCLIENT_TIMEOUT (and *out NULL) when none came free. */
slabclient_status slabclient_pool_acquire(slabclient_pool *pool, unsigned wait_ms,
                                          slabclient **out);
/* Gives a handle from slabclient_pool_acquire back (do not destroy it);
 * NULL is fine. */
void slabclient_pool_release(slabclient_pool *pool, slabclient *client);
/* Every handle must have been released. NULL is fine. */
void slabclient_pool_destroy(slabclient_pool *pool);

/* The most recent failed operation on `client` (a success does not clear
 * it): writes one line naming the server, the operation and the errno or the
 * server's error text (e.g. "TIMEOUT: get on host 127.0.0.1:11311 timed out
 * after 100 ms") into buf, truncated and NUL-terminated when len > 0, and
 * returns that failure's status (SLABCLIENT_OK, buf "", when none yet).
 * *errno_out (may be NULL) gets the socket errno, 0 when none applies. */
slabclient_status slabclient_last_error(const slabclient *client, char *buf, size_t len,
                                        int *errno_out);

/* "OK", "NOT_FOUND", ...; "UNKNOWN" for other values. */
const char *slabclient_status_name(slabclient_status status);

#ifdef __cplusplus
}
#endif

#endif /* SLABCLIENT_C_H */
