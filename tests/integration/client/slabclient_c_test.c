/* libslabclient's C API (client/slabclient_c.h), compiled as C: calls
 * against one real slabcached ($SLABCACHED_BIN, started here on a free
 * loopback port and stopped by its PID), and slabclient_locate against
 * libmemcached's own placement (memcached_generate_hash). Exit 77 (skipped)
 * without SLABCACHED_BIN. */
#include "client/slabclient_c.h"

#include <arpa/inet.h>
#include <libmemcached/memcached.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failures = 0;

#define CHECK(cond)                                                      \
  do {                                                                   \
    if (!(cond)) {                                                       \
      fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                        \
    }                                                                    \
  } while (0)

#define CHECK_STATUS(call, want)                                                      \
  do {                                                                                \
    slabclient_status got_ = (call);                                                  \
    if (got_ != (want)) {                                                             \
      fprintf(stderr, "%s:%d: FAILED: %s = %s, want %s\n", __FILE__, __LINE__, #call, \
              slabclient_status_name(got_), slabclient_status_name(want));            \
      ++failures;                                                                     \
    }                                                                                 \
  } while (0)

static int free_port(void) {
  struct sockaddr_in addr;
  socklen_t len = sizeof(addr);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int port = -1;
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 &&
      getsockname(fd, (struct sockaddr *)&addr, &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  if (fd >= 0) close(fd);
  return port;
}

static int accepts(int port) {
  struct sockaddr_in addr;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int ok;
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ok = fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0;
  if (fd >= 0) close(fd);
  return ok;
}

/* Starts the daemon on 127.0.0.1:port with `extra` flags (NULL-terminated,
 * at most 8; NULL: none). */
static pid_t start_daemon_with(const char *binary, int port, const char *const *extra) {
  char port_text[16];
  const char *argv[24];
  int argc = 0;
  pid_t pid;
  int i;
  snprintf(port_text, sizeof(port_text), "%d", port);
  argv[argc++] = binary;
  argv[argc++] = "-p";
  argv[argc++] = port_text;
  argv[argc++] = "-l";
  argv[argc++] = "127.0.0.1";
  argv[argc++] = "-U";
  argv[argc++] = "0";
  argv[argc++] = "-t";
  argv[argc++] = "2";
  argv[argc++] = "-m";
  argv[argc++] = "64";
  for (i = 0; extra != NULL && extra[i] != NULL && i < 8; ++i) argv[argc++] = extra[i];
  if (geteuid() == 0) {
    argv[argc++] = "-u";
    argv[argc++] = "nobody";
  }
  argv[argc] = NULL;
  pid = fork();
  if (pid == 0) {
    execv(binary, (char *const *)argv);
    _exit(127);
  }
  for (i = 0; pid > 0 && i < 250; ++i) { /* up to 5 s */
    struct timespec ts = {0, 20 * 1000 * 1000};
    if (accepts(port)) return pid;
    nanosleep(&ts, NULL);
  }
  if (pid > 0) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
  }
  return -1;
}

static pid_t start_daemon(const char *binary, int port) {
  return start_daemon_with(binary, port, NULL);
}

static void stop_daemon(pid_t pid) {
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
}

static void test_arguments(void) {
  slabclient *c = (slabclient *)1;
  CHECK_STATUS(slabclient_create("not a list:x", NULL, 0, &c), SLABCLIENT_INVALID_ARGUMENT);
  CHECK(c == NULL);
  CHECK_STATUS(slabclient_create("", NULL, 0, &c), SLABCLIENT_INVALID_ARGUMENT);
  CHECK_STATUS(slabclient_create("a:1", "round-robin", 0, &c), SLABCLIENT_INVALID_ARGUMENT);
  CHECK_STATUS(slabclient_create(NULL, NULL, 0, &c), SLABCLIENT_INVALID_ARGUMENT);
  CHECK(strcmp(slabclient_status_name(SLABCLIENT_BUFFER_TOO_SMALL), "BUFFER_TOO_SMALL") == 0);
  CHECK(strcmp(slabclient_status_name((slabclient_status)55), "UNKNOWN") == 0);
  CHECK(strcmp(slabclient_status_name(SLABCLIENT_SOME_ERRORS), "SOME_ERRORS") == 0);
  slabclient_destroy(NULL);
}

/* Our placement against libmemcached's for the same list and distribution. */
static void test_locate(int weighted) {
  const char *list = "10.0.0.1:11211:2,10.0.0.2:11211,10.0.0.3:11212:3,10.0.0.4:11211";
  slabclient *c = NULL;
  memcached_st *memc = memcached_create(NULL);
  int i, mismatches = 0;
  CHECK_STATUS(slabclient_create(list, weighted ? "ketama-weighted" : "modula", 0, &c),
               SLABCLIENT_OK);
  if (weighted) memcached_behavior_set(memc, MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, 1);
  memcached_server_add_with_weight(memc, "10.0.0.1", 11211, 2);
  memcached_server_add_with_weight(memc, "10.0.0.2", 11211, 1);
  memcached_server_add_with_weight(memc, "10.0.0.3", 11212, weighted ? 3 : 1);
  memcached_server_add_with_weight(memc, "10.0.0.4", 11211, 1);
  for (i = 0; c != NULL && i < 1000; ++i) {
    char key[32];
    uint32_t ours = 99;
    const int len = snprintf(key, sizeof(key), "key:%d", i);
    CHECK_STATUS(slabclient_locate(c, key, (size_t)len, &ours), SLABCLIENT_OK);
    if (ours != memcached_generate_hash(memc, key, (size_t)len)) ++mismatches;
  }
  CHECK(mismatches == 0);
  memcached_free(memc);
  slabclient_destroy(c);
}

/* What slabclient_mget delivered: a count per key and the last value. */
struct mget_seen {
  int calls;
  int hits_a, hits_b, hits_missing;
  char value_a[16];
  size_t value_a_len;
  uint64_t cas_a;
};

static void on_item(void *ctx, const char *key, size_t key_len, const char *value, size_t value_len,
                    uint32_t flags, uint64_t cas) {
  struct mget_seen *seen = ctx;
  ++seen->calls;
  if (key_len == 2 && memcmp(key, "ma", 2) == 0) {
    ++seen->hits_a;
    CHECK(value_len < sizeof(seen->value_a) && flags == 7);
    if (value_len < sizeof(seen->value_a)) memcpy(seen->value_a, value, value_len);
    seen->value_a_len = value_len;
    seen->cas_a = cas;
  } else if (key_len == 2 && memcmp(key, "mb", 2) == 0) {
    ++seen->hits_b;
  } else {
    ++seen->hits_missing;
  }
}

static void test_add_replace_cas_mget(slabclient *c) {
  char *value = NULL;
  size_t len = 0;
  uint32_t flags = 0;
  uint64_t cas = 0;
  const char *keys[] = {"ma", "mb", "mmiss", "ma"};
  const size_t lens[] = {2, 2, 5, 2};
  const char *bad_keys[] = {"ma", "m b"};
  struct mget_seen seen;
  /* add only if missing, replace only if present. */
  CHECK_STATUS(slabclient_replace(c, "ar", 2, "r", 1, 0, 0), SLABCLIENT_NOT_STORED);
  CHECK_STATUS(slabclient_add(c, "ar", 2, "a", 1, 0, 0), SLABCLIENT_OK);
  CHECK_STATUS(slabclient_add(c, "ar", 2, "b", 1, 0, 0), SLABCLIENT_NOT_STORED);
  CHECK_STATUS(slabclient_replace(c, "ar", 2, "r", 1, 3, 0), SLABCLIENT_OK);
  CHECK_STATUS(slabclient_get_alloc(c, "ar", 2, &value, &len, &flags), SLABCLIENT_OK);
  CHECK(value != NULL && strcmp(value, "r") == 0 && flags == 3);
  slabclient_free(value);
  /* gets + cas: the first cas wins, a stale one is EXISTS. */
  CHECK_STATUS(slabclient_gets_alloc(c, "ar", 2, &value, &len, &flags, &cas), SLABCLIENT_OK);
  slabclient_free(value);
  CHECK(cas != 0);
  CHECK_STATUS(slabclient_cas(c, "ar", 2, "c1", 2, 0, 0, cas), SLABCLIENT_OK);
  CHECK_STATUS(slabclient_cas(c, "ar", 2, "c2", 2, 0, 0, cas), SLABCLIENT_EXISTS);
  CHECK_STATUS(slabclient_cas(c, "gone", 4, "c", 1, 0, 0, cas), SLABCLIENT_NOT_FOUND);
  /* mget: hits delivered once each (a duplicate key too), misses silent. */
  CHECK_STATUS(slabclient_set(c, "ma", 2, "alpha", 5, 7, 0), SLABCLIENT_OK);
  CHECK_STATUS(slabclient_set(c, "mb", 2, "beta", 4, 0, 0), SLABCLIENT_OK);
  memset(&seen, 0, sizeof(seen));
  CHECK_STATUS(slabclient_mget(c, keys, lens, 4, 1, on_item, &seen), SLABCLIENT_OK);
  CHECK(seen.calls == 2 && seen.hits_a == 1 && seen.hits_b == 1 && seen.hits_missing == 0);
  CHECK(seen.value_a_len == 5 && memcmp(seen.value_a, "alpha", 5) == 0 && seen.cas_a != 0);
  memset(&seen, 0, sizeof(seen));
  CHECK_STATUS(slabclient_mget(c, bad_keys, lens, 2, 0, on_item, &seen),
               SLABCLIENT_INVALID_ARGUMENT);
  CHECK(seen.calls == 0);
  CHECK_STATUS(slabclient_mget(c, NULL, NULL, 0, 0, on_item, &seen), SLABCLIENT_OK);
  CHECK_STATUS(slabclient_mget(c, keys, lens, 1, 0, NULL, NULL), SLABCLIENT_INVALID_ARGUMENT);
}

static void test_daemon(int port) {
  char list[64], buf[16], *value = NULL;
  size_t len = 0;
  uint32_t flags = 0, index = 9;
  uint64_t number = 0;
  slabclient *c = NULL;
  snprintf(list, sizeof(list), "127.0.0.1:%d", port);
  CHECK_STATUS(slabclient_create(list, NULL, 2000, &c), SLABCLIENT_OK);
  if (c == NULL) return;
  CHECK_STATUS(slabclient_locate(c, "k", 1, &index), SLABCLIENT_OK);
  CHECK(index == 0);
  CHECK_STATUS(slabclient_get(c, "k", 1, buf, sizeof(buf), &len, &flags), SLABCLIENT_NOT_FOUND);
  CHECK_STATUS(slabclient_set(c, "k", 1, "hello", 5, 42, 0), SLABCLIENT_OK);
  CHECK_STATUS(slabclient_get(c, "k", 1, buf, sizeof(buf), &len, &flags), SLABCLIENT_OK);
  CHECK(len == 5 && memcmp(buf, "hello", 5) == 0 && flags == 42);
  CHECK_STATUS(slabclient_get(c, "k", 1, buf, 4, &len, NULL), SLABCLIENT_BUFFER_TOO_SMALL);
  CHECK(len == 5);
  CHECK_STATUS(slabclient_get_alloc(c, "k", 1, &value, &len, &flags), SLABCLIENT_OK);
  CHECK(value != NULL && len == 5 && strcmp(value, "hello") == 0);
  slabclient_free(value);
  /* Values are bytes: NUL and CR LF inside. */
  CHECK_STATUS(slabclient_set(c, "bin", 3, "a\0b\r\n", 5, 0, 0), SLABCLIENT_OK);
  CHECK_STATUS(slabclient_get(c, "bin", 3, buf, sizeof(buf), &len, NULL), SLABCLIENT_OK);
  CHECK(len == 5 && memcmp(buf, "a\0b\r\n", 5) == 0);
  CHECK_STATUS(slabclient_set(c, "empty", 5, NULL, 0, 0, 0), SLABCLIENT_OK);
  CHECK_STATUS(slabclient_get(c, "empty", 5, NULL, 0, &len, NULL), SLABCLIENT_OK);
  CHECK(len == 0);
  /* Counters. */
  CHECK_STATUS(slabclient_incr(c, "n", 1, 1, &number), SLABCLIENT_NOT_FOUND);
  CHECK_STATUS(slabclient_set(c, "n", 1, "10", 2, 0, 0), SLABCLIENT_OK);
  CHECK_STATUS(slabclient_incr(c, "n", 1, 5, &number), SLABCLIENT_OK);
  CHECK(number == 15);
  CHECK_STATUS(slabclient_decr(c, "n", 1, 20, &number), SLABCLIENT_OK);
  CHECK(number == 0);
  CHECK_STATUS(slabclient_incr(c, "k", 1, 1, NULL), SLABCLIENT_CLIENT_ERROR);
  /* Delete, and bad keys. */
  CHECK_STATUS(slabclient_delete(c, "k", 1), SLABCLIENT_OK);
  CHECK_STATUS(slabclient_delete(c, "k", 1), SLABCLIENT_NOT_FOUND);
  CHECK_STATUS(slabclient_set(c, "a b", 3, "x", 1, 0, 0), SLABCLIENT_INVALID_ARGUMENT);
  CHECK_STATUS(slabclient_get(c, NULL, 0, buf, sizeof(buf), &len, NULL),
               SLABCLIENT_INVALID_ARGUMENT);
  CHECK_STATUS(slabclient_locate(c, "", 0, &index), SLABCLIENT_INVALID_ARGUMENT);
  test_add_replace_cas_mget(c);
  slabclient_destroy(c);
}

/* slabclient_create_secure against a plain daemon: no security works; a
 * TLS client fails the handshake; a SASL login is refused (no -S). */
static void test_security(int port) {
  char list[64], buf[16];
  size_t len = 0;
  slabclient *c = NULL;
  slabclient_security security;
  snprintf(list, sizeof(list), "127.0.0.1:%d", port);
  memset(&security, 0, sizeof(security));
  CHECK_STATUS(slabclient_create_secure(list, NULL, 2000, &security, &c), SLABCLIENT_OK);
  CHECK_STATUS(slabclient_set(c, "sec", 3, "v", 1, 0, 0), SLABCLIENT_OK);
  slabclient_destroy(c);
  CHECK_STATUS(slabclient_create_secure(list, NULL, 2000, NULL, &c), SLABCLIENT_OK);
  CHECK_STATUS(slabclient_get(c, "sec", 3, buf, sizeof(buf), &len, NULL), SLABCLIENT_OK);
  slabclient_destroy(c);
  security.tls = 1;
  security.tls_skip_verify = 1;
  CHECK_STATUS(slabclient_create_secure(list, NULL, 2000, &security, &c), SLABCLIENT_OK);
  CHECK_STATUS(slabclient_get(c, "sec", 3, buf, sizeof(buf), &len, NULL), SLABCLIENT_TLS_FAILURE);
  CHECK(strcmp(slabclient_status_name(SLABCLIENT_TLS_FAILURE), "TLS_FAILURE") == 0);
  slabclient_destroy(c);
  memset(&security, 0, sizeof(security));
  security.sasl_username = "alice";
  security.sasl_password = "secret";
  CHECK_STATUS(slabclient_create_secure(list, NULL, 2000, &security, &c), SLABCLIENT_OK);
  CHECK_STATUS(slabclient_get(c, "sec", 3, buf, sizeof(buf), &len, NULL), SLABCLIENT_AUTH_FAILURE);
  CHECK(strcmp(slabclient_status_name(SLABCLIENT_AUTH_FAILURE), "AUTH_FAILURE") == 0);
  slabclient_destroy(c);
  CHECK_STATUS(slabclient_create_secure(NULL, NULL, 0, NULL, &c), SLABCLIENT_INVALID_ARGUMENT);
}

/* The binary protocol, against a daemon that speaks nothing else (-B
 * binary): get/set/add/replace/cas/mget round trips, and a text client
 * cannot talk to it. */
static void test_binary_protocol(const char *binary) {
  char list[64], buf[16];
  size_t len = 0;
  uint32_t flags = 0;
  slabclient *c = NULL;
  slabclient_options options;
  const int port = free_port();
  const char *const binary_only[] = {"-B", "binary", NULL};
  const pid_t pid = start_daemon_with(binary, port, binary_only);
  CHECK(pid > 0);
  if (pid <= 0) return;
  snprintf(list, sizeof(list), "127.0.0.1:%d", port);
  slabclient_options_init(&options);
  options.servers = list;
  options.timeout_ms = 2000;
  options.protocol = SLABCLIENT_PROTOCOL_BINARY;
  CHECK_STATUS(slabclient_create_with(&options, &c), SLABCLIENT_OK);
  if (c != NULL) {
    CHECK_STATUS(slabclient_set(c, "bk", 2, "a\0b\r\n", 5, 9, 0), SLABCLIENT_OK);
    CHECK_STATUS(slabclient_get(c, "bk", 2, buf, sizeof(buf), &len, &flags), SLABCLIENT_OK);
    CHECK(len == 5 && memcmp(buf, "a\0b\r\n", 5) == 0 && flags == 9);
    CHECK_STATUS(slabclient_get(c, "bmiss", 5, buf, sizeof(buf), &len, NULL), SLABCLIENT_NOT_FOUND);
    test_add_replace_cas_mget(c);
    slabclient_destroy(c);
  }
  /* The same daemon refuses the text protocol: the option did change it. */
  options.protocol = SLABCLIENT_PROTOCOL_TEXT;
  CHECK_STATUS(slabclient_create_with(&options, &c), SLABCLIENT_OK);
  if (c != NULL) {
    CHECK(slabclient_get(c, "bk", 2, buf, sizeof(buf), &len, NULL) != SLABCLIENT_OK);
    slabclient_destroy(c);
  }
  options.protocol = 7;
  CHECK_STATUS(slabclient_create_with(&options, &c), SLABCLIENT_INVALID_ARGUMENT);
  CHECK(c == NULL);
  CHECK_STATUS(slabclient_create_with(NULL, &c), SLABCLIENT_INVALID_ARGUMENT);
  stop_daemon(pid);
}

/* Threads sharing a pool of fewer handles than threads. */
enum { kPoolThreads = 6, kPoolRounds = 200 };
struct pool_worker {
  slabclient_pool *pool;
  int id;
  int failures;
};

static void *pool_work(void *arg) {
  struct pool_worker *w = arg;
  int i;
  for (i = 0; i < kPoolRounds; ++i) {
    char key[32], value[32], buf[32];
    size_t len = 0;
    slabclient *c = NULL;
    const int key_len = snprintf(key, sizeof(key), "pool:%d:%d", w->id, i % 10);
    const int value_len = snprintf(value, sizeof(value), "v%d-%d", w->id, i);
    if (slabclient_pool_acquire(w->pool, 5000, &c) != SLABCLIENT_OK) {
      ++w->failures;
      continue;
    }
    if (slabclient_set(c, key, (size_t)key_len, value, (size_t)value_len, 0, 0) != SLABCLIENT_OK ||
        slabclient_get(c, key, (size_t)key_len, buf, sizeof(buf), &len, NULL) != SLABCLIENT_OK ||
        len != (size_t)value_len || memcmp(buf, value, len) != 0) {
      ++w->failures;
    }
    slabclient_pool_release(w->pool, c);
  }
  return NULL;
}

static void test_pool(int port) {
  char list[96];
  slabclient_pool *pool = NULL;
  slabclient *a = NULL, *b = NULL;
  slabclient_options options;
  struct pool_worker workers[kPoolThreads];
  pthread_t threads[kPoolThreads];
  uint32_t index = 9;
  int i, started = 0, dead_key = -1;
  const int dead_port = free_port(); /* nobody listens */
  snprintf(list, sizeof(list), "127.0.0.1:%d", port);
  slabclient_options_init(&options);
  options.servers = list;
  options.timeout_ms = 2000;
  CHECK_STATUS(slabclient_pool_create(&options, 2, &pool), SLABCLIENT_OK);
  if (pool == NULL) return;
  for (i = 0; i < kPoolThreads; ++i) {
    workers[i].pool = pool;
    workers[i].id = i;
    workers[i].failures = 0;
    if (pthread_create(&threads[i], NULL, pool_work, &workers[i]) == 0) ++started;
  }
  CHECK(started == kPoolThreads);
  for (i = 0; i < started; ++i) {
    pthread_join(threads[i], NULL);
    CHECK(workers[i].failures == 0);
  }
  /* Both handles leased: a third acquire times out, and succeeds once one
   * is released. */
  CHECK_STATUS(slabclient_pool_acquire(pool, 1000, &a), SLABCLIENT_OK);
  CHECK_STATUS(slabclient_pool_acquire(pool, 1000, &b), SLABCLIENT_OK);
  CHECK(a != NULL && b != NULL && a != b);
  {
    slabclient *c = (slabclient *)1;
    CHECK_STATUS(slabclient_pool_acquire(pool, 20, &c), SLABCLIENT_TIMEOUT);
    CHECK(c == NULL);
  }
  slabclient_pool_release(pool, b);
  CHECK_STATUS(slabclient_pool_acquire(pool, 0, &b), SLABCLIENT_OK);
  slabclient_pool_release(pool, a);
  slabclient_pool_release(pool, b);
  slabclient_pool_release(pool, NULL);
  slabclient_pool_destroy(pool);
  pool = NULL;

  /* Failure state is shared: handle a's failures against a dead server eject
   * it for handle b too. */
  snprintf(list, sizeof(list), "127.0.0.1:%d,127.0.0.1:%d", port, dead_port);
  CHECK_STATUS(slabclient_pool_create(&options, 2, &pool), SLABCLIENT_OK);
  if (pool == NULL) return;
  CHECK_STATUS(slabclient_pool_acquire(pool, 1000, &a), SLABCLIENT_OK);
  CHECK_STATUS(slabclient_pool_acquire(pool, 1000, &b), SLABCLIENT_OK);
  for (i = 0; a != NULL && i < 1000 && dead_key < 0; ++i) {
    char key[16];
    const int n = snprintf(key, sizeof(key), "k%d", i);
    if (slabclient_locate(a, key, (size_t)n, &index) == SLABCLIENT_OK && index == 1) dead_key = i;
  }
  CHECK(dead_key >= 0);
  if (a != NULL && b != NULL && dead_key >= 0) {
    char key[16];
    const int n = snprintf(key, sizeof(key), "k%d", dead_key);
    CHECK_STATUS(slabclient_locate(b, key, (size_t)n, &index), SLABCLIENT_OK);
    CHECK(index == 1);
    CHECK_STATUS(slabclient_set(a, key, (size_t)n, "v", 1, 0, 0), SLABCLIENT_CONNECTION_FAILURE);
    CHECK_STATUS(slabclient_set(a, key, (size_t)n, "v", 1, 0, 0), SLABCLIENT_CONNECTION_FAILURE);
    CHECK_STATUS(slabclient_locate(b, key, (size_t)n, &index), SLABCLIENT_OK);
    CHECK(index == 0); /* b re-routed without trying the dead server */
    CHECK_STATUS(slabclient_set(b, key, (size_t)n, "v", 1, 0, 0), SLABCLIENT_OK);
  }
  slabclient_pool_release(pool, a);
  slabclient_pool_release(pool, b);
  slabclient_pool_destroy(pool);
  slabclient_pool_destroy(NULL);
}

/* A pool logging in to a -S daemon (SASL forces the binary protocol); a
 * wrong password is SLABCLIENT_AUTH_FAILURE. */
static void test_sasl_pool(const char *binary) {
  char list[64], pwdb[64], option[96], buf[16];
  size_t len = 0;
  slabclient_options options;
  slabclient_security security;
  slabclient_pool *pool = NULL;
  slabclient *c = NULL;
  FILE *f;
  int port, fd;
  pid_t pid;
  snprintf(pwdb, sizeof(pwdb), "/tmp/slabclient-c-sasl.XXXXXX");
  fd = mkstemp(pwdb);
  CHECK(fd >= 0);
  if (fd < 0) return;
  f = fdopen(fd, "w");
  fputs("alice:s3cret\n", f);
  fclose(f);
  chmod(pwdb, 0644); /* readable after the daemon drops root */
  snprintf(option, sizeof(option), "sasl_pwdb=%s", pwdb);
  {
    const char *const sasl[] = {"-S", "-o", option, NULL};
    port = free_port();
    pid = start_daemon_with(binary, port, sasl);
  }
  CHECK(pid > 0);
  if (pid > 0) {
    snprintf(list, sizeof(list), "127.0.0.1:%d", port);
    memset(&security, 0, sizeof(security));
    security.sasl_username = "alice";
    security.sasl_password = "s3cret";
    slabclient_options_init(&options);
    options.servers = list;
    options.timeout_ms = 2000;
    options.security = &security;
    CHECK_STATUS(slabclient_pool_create(&options, 2, &pool), SLABCLIENT_OK);
    CHECK_STATUS(slabclient_pool_acquire(pool, 1000, &c), SLABCLIENT_OK);
    if (c != NULL) {
      CHECK_STATUS(slabclient_set(c, "sk", 2, "sv", 2, 0, 0), SLABCLIENT_OK);
      CHECK_STATUS(slabclient_get(c, "sk", 2, buf, sizeof(buf), &len, NULL), SLABCLIENT_OK);
      CHECK(len == 2 && memcmp(buf, "sv", 2) == 0);
      slabclient_pool_release(pool, c);
    }
    slabclient_pool_destroy(pool);
    security.sasl_password = "wrong";
    CHECK_STATUS(slabclient_create_with(&options, &c), SLABCLIENT_OK);
    CHECK_STATUS(slabclient_get(c, "sk", 2, buf, sizeof(buf), &len, NULL), SLABCLIENT_AUTH_FAILURE);
    slabclient_destroy(c);
    stop_daemon(pid);
  }
  unlink(pwdb);
}

/* A hot key lives on both daemons; a plain client of each sees it. */
static void test_hot_keys(int port_a, int port_b) {
  char both[64], only_a[32], only_b[32], buf[16];
  size_t len = 0;
  slabclient *c = NULL, *a = NULL, *b = NULL;
  int i;
  snprintf(both, sizeof(both), "127.0.0.1:%d,127.0.0.1:%d", port_a, port_b);
  snprintf(only_a, sizeof(only_a), "127.0.0.1:%d", port_a);
  snprintf(only_b, sizeof(only_b), "127.0.0.1:%d", port_b);
  CHECK_STATUS(slabclient_create(both, NULL, 2000, &c), SLABCLIENT_OK);
  CHECK_STATUS(slabclient_create(only_a, NULL, 2000, &a), SLABCLIENT_OK);
  CHECK_STATUS(slabclient_create(only_b, NULL, 2000, &b), SLABCLIENT_OK);
  if (c == NULL || a == NULL || b == NULL) return;
  CHECK_STATUS(slabclient_mark_hot(c, "a b", 3), SLABCLIENT_INVALID_ARGUMENT);
  CHECK_STATUS(slabclient_mark_hot(c, "viral", 5), SLABCLIENT_OK);
  CHECK_STATUS(slabclient_set(c, "viral", 5, "v", 1, 0, 0), SLABCLIENT_OK);
  CHECK_STATUS(slabclient_get(a, "viral", 5, buf, sizeof(buf), &len, NULL), SLABCLIENT_OK);
  CHECK_STATUS(slabclient_get(b, "viral", 5, buf, sizeof(buf), &len, NULL), SLABCLIENT_OK);
  for (i = 0; i < 4; ++i) {
    CHECK_STATUS(slabclient_get(c, "viral", 5, buf, sizeof(buf), &len, NULL), SLABCLIENT_OK);
  }
  CHECK_STATUS(slabclient_delete(c, "viral", 5), SLABCLIENT_OK);
  CHECK_STATUS(slabclient_get(a, "viral", 5, buf, sizeof(buf), &len, NULL), SLABCLIENT_NOT_FOUND);
  CHECK_STATUS(slabclient_get(b, "viral", 5, buf, sizeof(buf), &len, NULL), SLABCLIENT_NOT_FOUND);
  /* Unmarked, a key lives on its owner only. */
  CHECK_STATUS(slabclient_unmark_hot(c, "viral", 5), SLABCLIENT_OK);
  CHECK_STATUS(slabclient_set(c, "viral", 5, "v", 1, 0, 0), SLABCLIENT_OK);
  CHECK((slabclient_get(a, "viral", 5, buf, sizeof(buf), &len, NULL) == SLABCLIENT_OK) !=
        (slabclient_get(b, "viral", 5, buf, sizeof(buf), &len, NULL) == SLABCLIENT_OK));
  slabclient_destroy(c);
  slabclient_destroy(a);
  slabclient_destroy(b);
}

static void test_bloom(void) {
  slabclient_bloom *bloom = (slabclient_bloom *)1;
  char key[32];
  int i, len, false_positives = 0;
  CHECK_STATUS(slabclient_bloom_create(0, 0.01, &bloom), SLABCLIENT_INVALID_ARGUMENT);
  CHECK(bloom == NULL);
  CHECK_STATUS(slabclient_bloom_create(1000, 1.5, &bloom), SLABCLIENT_INVALID_ARGUMENT);
  CHECK_STATUS(slabclient_bloom_create(1000, 0.01, &bloom), SLABCLIENT_OK);
  if (bloom == NULL) return;
  for (i = 0; i < 1000; ++i) {
    len = snprintf(key, sizeof(key), "user:%d", i);
    slabclient_bloom_add(bloom, key, (size_t)len);
  }
  for (i = 0; i < 1000; ++i) {
    len = snprintf(key, sizeof(key), "user:%d", i);
    CHECK(slabclient_bloom_check(bloom, key, (size_t)len) == 1);
    len = snprintf(key, sizeof(key), "ghost:%d", i);
    false_positives += slabclient_bloom_check(bloom, key, (size_t)len);
  }
  CHECK(false_positives < 50); /* about 10 expected (1%) */
  slabclient_bloom_destroy(bloom);
  slabclient_bloom_destroy(NULL);
}

static void test_unreachable(void) {
  char list[64], buf[4];
  size_t len;
  slabclient *c = NULL;
  snprintf(list, sizeof(list), "127.0.0.1:%d", free_port());
  CHECK_STATUS(slabclient_create(list, NULL, 300, &c), SLABCLIENT_OK);
  CHECK_STATUS(slabclient_get(c, "k", 1, buf, sizeof(buf), &len, NULL),
               SLABCLIENT_CONNECTION_FAILURE);
  slabclient_destroy(c);
}

/* The C write-behind: batches reach the callback with their bytes. */
struct saved {
  size_t writes;
  size_t bytes;
};

static int save_batch(void *context, const slabclient_write *writes, size_t count) {
  struct saved *saved = (struct saved *)context;
  size_t i;
  for (i = 0; i < count; ++i) {
    saved->bytes += writes[i].key_len + writes[i].value_len;
  }
  saved->writes += count;
  return 1;
}

static void test_write_behind(void) {
  slabclient_write_behind_config cfg;
  slabclient_write_behind_counts counts;
  slabclient_write_behind *wb = NULL;
  struct saved saved = {0, 0};
  int i;
  slabclient_write_behind_config_init(&cfg);
  CHECK(cfg.capacity == 10000 && cfg.batch_size == 100);
  cfg.batch_size = 7;
  cfg.when_full = 9;
  CHECK_STATUS(slabclient_write_behind_create(&cfg, save_batch, &saved, &wb),
               SLABCLIENT_INVALID_ARGUMENT);
  cfg.when_full = SLABCLIENT_FULL_BLOCK;
  CHECK_STATUS(slabclient_write_behind_create(&cfg, save_batch, &saved, &wb), SLABCLIENT_OK);
  for (i = 0; wb != NULL && i < 50; ++i) {
    CHECK_STATUS(slabclient_write_behind_enqueue(wb, "key", 3, "a\0b", 3), SLABCLIENT_OK);
  }
  slabclient_write_behind_destroy(wb, &counts);
  CHECK(counts.enqueued == 50 && counts.written == 50 && counts.lost == 0);
  CHECK(saved.writes == 50 && saved.bytes == 50 * 6);
}

/* The C invalidator: deletes on a live server; spools for a dead one. */
static void test_invalidator(int port) {
  char list[96], dir[] = "/tmp/slabclient-c-spool.XXXXXX", cmd[128], buf[4];
  size_t len;
  slabclient *c = NULL;
  slabclient_invalidator *inv = NULL;
  snprintf(list, sizeof(list), "127.0.0.1:%d", port);
  CHECK(mkdtemp(dir) != NULL);
  CHECK_STATUS(slabclient_create(list, NULL, 2000, &c), SLABCLIENT_OK);
  CHECK_STATUS(slabclient_set(c, "gone", 4, "x", 1, 0, 0), SLABCLIENT_OK);
  CHECK_STATUS(slabclient_invalidator_open(list, NULL, 300, "/nonexistent/dir", &inv),
               SLABCLIENT_INVALID_ARGUMENT);
  CHECK_STATUS(slabclient_invalidator_open(list, NULL, 300, dir, &inv), SLABCLIENT_OK);
  CHECK_STATUS(slabclient_invalidate(inv, "gone", 4), SLABCLIENT_OK);
  CHECK_STATUS(slabclient_invalidate(inv, "a b", 3), SLABCLIENT_INVALID_ARGUMENT);
  CHECK(slabclient_invalidator_retry(inv) == 0);
  CHECK_STATUS(slabclient_get(c, "gone", 4, buf, sizeof(buf), &len, NULL), SLABCLIENT_NOT_FOUND);
  slabclient_invalidator_close(inv);
  inv = NULL;
  snprintf(list, sizeof(list), "127.0.0.1:%d", free_port());
  CHECK_STATUS(slabclient_invalidator_open(list, NULL, 300, dir, &inv), SLABCLIENT_OK);
  CHECK_STATUS(slabclient_invalidate(inv, "k", 1), SLABCLIENT_OK);
  CHECK(slabclient_invalidator_retry(inv) == 1);
  slabclient_invalidator_close(inv);
  slabclient_destroy(c);
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  CHECK(system(cmd) == 0);
}

int main(void) {
  const char *binary = getenv("SLABCACHED_BIN");
  int port;
  pid_t pid;
  test_arguments();
  test_locate(1);
  test_locate(0);
  test_unreachable();
  test_bloom();
  test_write_behind();
  if (binary == NULL || *binary == '\0' || access(binary, X_OK) != 0) {
    fprintf(stderr, "SLABCACHED_BIN unset: daemon tests skipped\n");
    return failures == 0 ? 77 : 1;
  }
  port = free_port();
  pid = start_daemon(binary, port);
  CHECK(pid > 0);
  if (pid > 0) {
    const int port_b = free_port();
    const pid_t pid_b = start_daemon(binary, port_b);
    CHECK(pid_b > 0);
    test_daemon(port);
    if (pid_b > 0) {
      test_hot_keys(port, port_b);
      kill(pid_b, SIGTERM);
      waitpid(pid_b, NULL, 0);
    }
    test_invalidator(port);
    test_security(port);
    test_pool(port);
    test_binary_protocol(binary);
    test_sasl_pool(binary);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
  }
  if (failures == 0) printf("slabclient_c_test: all checks passed\n");
  return failures == 0 ? 0 : 1;
}
