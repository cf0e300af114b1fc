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
 * protocol.
 *
 * Thread safety: like the C++ Client, a slabclient handle is used by one
 * thread at a time (give each thread its own handle, or guard one with a
 * mutex). Distinct handles share nothing. slabclient_status_name is
 * thread-safe.
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
  SLABCLIENT_BUFFER_TOO_SMALL = 100, /* slabclient_get: *value_len is the size needed */
  SLABCLIENT_NO_MEMORY = 101
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

/* "OK", "NOT_FOUND", ...; "UNKNOWN" for other values. */
const char *slabclient_status_name(slabclient_status status);

#ifdef __cplusplus
}
#endif

#endif /* SLABCLIENT_C_H */
