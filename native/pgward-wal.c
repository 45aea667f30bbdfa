/*
 * pgward-wal: archive_command and restore_command through the cluster's pgward daemon without starting
 * Node.js (32-56 ms on a small host, more than the whole request). Same arguments as pgward itself:
 *
 *   archive_command = 'pgward-wal --config /etc/pgward/15-main.conf wal-push %p'
 *   restore_command = 'pgward-wal --config /etc/pgward/15-main.conf wal-fetch %f %p'
 *
 * It sends the one request the Node client would send over the daemon's socket (4-byte big-endian
 * length, then JSON) and exits 0 only when the daemon answers ok:true to that request. Anything else
 * (no daemon, PGWARD_NO_DAEMON, a flag it does not know, a failure, a not-found, an answer it does not
 * recognise) execs the Node launcher with the same arguments, which asks again and does the work or
 * reports the error itself: archiving never depends on this program or on the daemon being up.
 * Settings are read as pgward reads them: flags, then the environment, then --envdir, then --config
 * (default /etc/pgward/pgward.conf), for the four it needs.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef PGWARD_NODE
#define PGWARD_NODE "node"
#endif
#ifndef PGWARD_SCRIPT
#define PGWARD_SCRIPT "pgward.js"
#endif

static char **original_argv;

/* The Node launcher with the same arguments; PGWARD_WAL_FALLBACK names another pgward executable. */
static void fallback(void) {
  const char *other = getenv("PGWARD_WAL_FALLBACK");
  int argc = 0;
  while (original_argv[argc]) argc++;
  char **args = calloc((size_t)argc + 3, sizeof *args);
  if (!args) _exit(70);
  int n = 0;
  if (other && *other) {
    args[n++] = (char *)other;
  } else {
    args[n++] = (char *)PGWARD_NODE;
    args[n++] = (char *)PGWARD_SCRIPT;
  }
  for (int i = 1; i < argc; i++) args[n++] = original_argv[i];
  args[n] = NULL;
  execv(args[0], args);
  fprintf(stderr, "pgward: ERROR: pgward-wal cannot run %s: %s\nHINT: reinstall pgward, or set PGWARD_WAL_FALLBACK to the pgward launcher\n", args[0], strerror(errno));
  /* 2 (usage), not a crash status: PostgreSQL retries archive_command and the log says why. */
  _exit(2);
}

static const char *config_path, *envdir_path, *pgdata_flag;

/* KEY=VALUE in a config file (optional `export`, quotes stripped), as config-file.ts reads it. */
static char *from_config(const char *name) {
  FILE *file = fopen(config_path, "r");
  if (!file) return NULL;
  static char line[8192];
  char *found = NULL;
  while (fgets(line, sizeof line, file)) {
    char *p = line;
    while (*p == ' ' || *p == '\t') p++;
    if (strncmp(p, "export", 6) == 0 && (p[6] == ' ' || p[6] == '\t')) for (p += 6; *p == ' ' || *p == '\t'; p++);
    size_t len = strlen(name);
    if (strncmp(p, name, len) != 0) continue;
    p += len;
    while (*p == ' ' || *p == '\t') p++;
    if (*p != '=') continue;
    p++;
    while (*p == ' ' || *p == '\t') p++;
    char *end = p + strlen(p);
    while (end > p && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t')) *--end = '\0';
    if (end - p >= 2 && (*p == '"' || *p == '\'') && end[-1] == *p) {
      end[-1] = '\0';
      p++;
    }
    free(found);
    found = strdup(p); /* the last line wins, as a Map.set does */
  }
  fclose(file);
  return found;
}

/* daemontools envdir: the first line of the file named like the variable; an empty file unsets it. */
static char *from_envdir(const char *name) {
  char path[PATH_MAX];
  if (snprintf(path, sizeof path, "%s/%s", envdir_path, name) >= (int)sizeof path) return NULL;
  FILE *file = fopen(path, "r");
  if (!file) return NULL;
  static char line[8192];
  char *value = fgets(line, sizeof line, file) ? line : NULL;
  fclose(file);
  if (!value) return NULL;
  value[strcspn(value, "\n")] = '\0';
  for (size_t len = strlen(value); len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t'); len--) value[len - 1] = '\0';
  return *value ? strdup(value) : NULL;
}

static char *setting(const char *name) {
  const char *env = getenv(name);
  if (env && *env) return strdup(env);
  char *value = envdir_path ? from_envdir(name) : NULL;
  if (!value && config_path) value = from_config(name);
  return value && *value ? value : NULL;
}

/* Appends s as a JSON string; false when it does not fit. */
static int json_string(char *out, size_t size, size_t *at, const char *s) {
  if (*at + 1 >= size) return 0;
  out[(*at)++] = '"';
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    int wrote;
    if (*c == '"' || *c == '\\') wrote = snprintf(out + *at, size - *at, "\\%c", *c);
    else if (*c < 0x20) wrote = snprintf(out + *at, size - *at, "\\u%04x", *c);
    else wrote = snprintf(out + *at, size - *at, "%c", *c);
    if (wrote < 0 || (size_t)wrote >= size - *at) return 0;
    *at += (size_t)wrote;
  }
  if (*at + 1 >= size) return 0;
  out[(*at)++] = '"';
  out[*at] = '\0';
  return 1;
}

static int write_all(int fd, const char *data, size_t length) {
  while (length > 0) {
    ssize_t n = write(fd, data, length);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;
    data += n;
    length -= (size_t)n;
  }
  return 1;
}

static int read_all(int fd, char *data, size_t length) {
  while (length > 0) {
    ssize_t n = read(fd, data, length);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;
    data += n;
    length -= (size_t)n;
  }
  return 1;
}

/* "15-main" for /var/lib/postgresql/15/main, as socket-path.ts names Debian's clusters; else NULL. */
static int debian_instance(const char *dir, char *out, size_t size) {
  const char *prefix = "/var/lib/postgresql/";
  if (strncmp(dir, prefix, strlen(prefix)) != 0) return 0;
  const char *rest = dir + strlen(prefix);
  const char *slash = strchr(rest, '/');
  if (!slash || slash == rest || !slash[1] || strchr(slash + 1, '/')) return 0;
  return snprintf(out, size, "%.*s-%s", (int)(slash - rest), rest, slash + 1) < (int)size;
}

int main(int argc, char **argv) {
  original_argv = argv;
  const char *command = NULL, *positional[2] = {NULL, NULL};
  int positionals = 0;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (strncmp(arg, "--", 2) != 0) {
      if (!command) command = arg;
      else if (positionals < 2) positional[positionals++] = arg;
      else fallback();
      continue;
    }
    const char *eq = strchr(arg, '=');
    size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
    const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[i + 1] : NULL);
    const char **target = NULL;
    if (name_len == 8 && strncmp(arg, "--config", 8) == 0) target = &config_path;
    else if (name_len == 8 && strncmp(arg, "--envdir", 8) == 0) target = &envdir_path;
    else if (name_len == 8 && strncmp(arg, "--pgdata", 8) == 0) target = &pgdata_flag;
    if (!target || !value) fallback(); /* repository flags and the rest: Node decides */
    *target = value;
    if (!eq) i++;
  }
  int push = command && strcmp(command, "wal-push") == 0 && positionals == 1;
  int fetch = command && strcmp(command, "wal-fetch") == 0 && positionals == 2;
  if (!push && !fetch) fallback();
  if (!envdir_path && getenv("PGWARD_ENVDIR") && *getenv("PGWARD_ENVDIR")) envdir_path = getenv("PGWARD_ENVDIR");
  if (!config_path && getenv("PGWARD_CONFIG") && *getenv("PGWARD_CONFIG")) config_path = getenv("PGWARD_CONFIG");
  if (!config_path && access("/etc/pgward/pgward.conf", F_OK) == 0) config_path = "/etc/pgward/pgward.conf";
  if (config_path && access(config_path, R_OK) != 0) fallback(); /* Node reports an unreadable file */

  char *no_daemon = setting("PGWARD_NO_DAEMON");
  if (no_daemon && (!strcmp(no_daemon, "1") || !strcasecmp(no_daemon, "true") || !strcasecmp(no_daemon, "yes") || !strcasecmp(no_daemon, "on"))) fallback();
  char *pgdata = pgdata_flag ? strdup(pgdata_flag) : setting("PGDATA");
  char cwd[PATH_MAX], data_directory[PATH_MAX];
  if (!getcwd(cwd, sizeof cwd)) fallback();
  if (!realpath(pgdata ? pgdata : cwd, data_directory)) fallback();
  char *socket_path = setting("PGWARD_DAEMON_SOCKET");
  char instance[256], default_socket[512];
  if (!socket_path) {
    /* Other data directories' sockets are named by a hash of the path: the Node client finds those. */
    if (!debian_instance(data_directory, instance, sizeof instance)) fallback();
    snprintf(default_socket, sizeof default_socket, "/run/pgward/%s.sock", instance);
    socket_path = default_socket;
  }
  char *timeout_text = setting("PGWARD_WAL_PUSH_TIMEOUT");
  long timeout = timeout_text ? strtol(timeout_text, NULL, 10) : 30;
  if (timeout < 1 || timeout > 3600) timeout = 30;

  /* %p is relative to the data directory PostgreSQL runs the command in, as path.resolve() makes it. */
  char absolute[2][PATH_MAX];
  for (int i = 0; i < positionals; i++) {
    const char *p = positional[i];
    if (p[0] == '/') snprintf(absolute[i], PATH_MAX, "%s", p);
    else if (snprintf(absolute[i], PATH_MAX, "%s/%s", cwd, p) >= PATH_MAX) fallback();
  }
  static char body[65536];
  size_t at = 0;
  at += (size_t)snprintf(body, sizeof body, "{\"v\":1,\"id\":1,\"op\":\"%s\",\"dataDirectory\":", push ? "wal-push" : "wal-fetch");
  int fits = json_string(body, sizeof body, &at, data_directory);
  if (push) {
    fits = fits && at + 8 < sizeof body;
    if (fits) at += (size_t)snprintf(body + at, sizeof body - at, ",\"path\":");
    fits = fits && json_string(body, sizeof body, &at, absolute[0]);
  } else {
    fits = fits && at + 11 < sizeof body;
    if (fits) at += (size_t)snprintf(body + at, sizeof body - at, ",\"segment\":");
    fits = fits && json_string(body, sizeof body, &at, positional[0]);
    fits = fits && at + 15 < sizeof body;
    if (fits) at += (size_t)snprintf(body + at, sizeof body - at, ",\"destination\":");
    fits = fits && json_string(body, sizeof body, &at, absolute[1]);
  }
  if (!fits || at + 2 >= sizeof body) fallback();
  body[at++] = '}';

  struct sockaddr_un address;
  memset(&address, 0, sizeof address);
  address.sun_family = AF_UNIX;
  if (strlen(socket_path) >= sizeof address.sun_path) fallback();
  strcpy(address.sun_path, socket_path);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) fallback();
  struct timeval limit = {.tv_sec = timeout, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) fallback();
  unsigned char header[4] = {(unsigned char)(at >> 24), (unsigned char)(at >> 16), (unsigned char)(at >> 8), (unsigned char)at};
  if (!write_all(fd, (const char *)header, 4) || !write_all(fd, body, at)) fallback();
  if (!read_all(fd, (char *)header, 4)) fallback();
  size_t length = ((size_t)header[0] << 24) | ((size_t)header[1] << 16) | ((size_t)header[2] << 8) | header[3];
  static char answer[65537];
  if (length >= sizeof answer || !read_all(fd, answer, length)) fallback();
  answer[length] = '\0';
  close(fd);
  /* The daemon writes {"v":1,"id":<id>,"ok":true,"status":"..."} with JSON.stringify's key order:
   * only that exact start, for this request's id, is a success. */
  if (strncmp(answer, "{\"v\":1,\"id\":1,\"ok\":true,\"status\":\"", 34) == 0) return 0;
  fallback();
  return 70;
}
