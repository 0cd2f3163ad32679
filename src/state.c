/* SPDX-License-Identifier: GPL-2.0-or-later */
/* state.c - see state.h */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>
#include "cgroup.h"
#include "state.h"
#include "utils.h"

static const char *const status_names[] = {
  [STATUS_CREATING] = "creating", [STATUS_CREATED] = "created", [STATUS_RUNNING] = "running",
  [STATUS_PAUSED] = "paused",     [STATUS_STOPPED] = "stopped",
};

const char *status_name(enum container_status s) { return status_names[s]; }

int state_validate_id(const char *id, uoci_error **err)
{
  if (id == NULL || *id == '\0')
    return uoci_fail(err, 0, "container id cannot be empty");
  if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0 || strlen(id) > 1024)
    return uoci_fail(err, 0, "invalid container id \"%s\"", id);
  for (const char *p = id; *p; p++) {
    char c = *p;
    bool okc = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
               c == '+' || c == '-' || c == '.';
    if (!okc)
      return uoci_fail(err, 0, "invalid container id \"%s\": only [A-Za-z0-9_+.-] are allowed", id);
  }
  return 0;
}

static int lock_dir(int dirfd, const char *id, uoci_error **err)
{
  while (flock(dirfd, LOCK_EX) < 0) {
    if (errno != EINTR)
      return uoci_fail(err, errno, "lock container \"%s\"", id);
  }
  return 0;
}

int state_dir_create(const char *root, const char *id, uoci_error **err)
{
  if (mkdir(root, 0700) < 0 && errno != EEXIST && mkdir_p(root, 0700, err) < 0)
    return -1;
  _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return uoci_fail(err, errno, "state root %s", root);
  /* The directory appears under its name already locked: made under a
   * temporary name (hidden from list), locked, then renamed without
   * replacing. Otherwise a concurrent delete could lock it first, find no
   * state file and remove it as the remains of a dead create. */
  char tmp[64];
  snprintf(tmp, sizeof tmp, ".creating.%d", (int) getpid());
  /* One left by a killed runtime that had our pid is empty: replace it. */
  if (mkdirat(rootfd, tmp, 0700) < 0 && (errno != EEXIST || unlinkat(rootfd, tmp, AT_REMOVEDIR) < 0 ||
                                          mkdirat(rootfd, tmp, 0700) < 0))
    return uoci_fail(err, errno, "create state directory %s/%s", root, id);
  int fd = openat(rootfd, tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 || lock_dir(fd, id, err) < 0 || renameat2(rootfd, tmp, rootfd, id, RENAME_NOREPLACE) < 0) {
    int e = errno;
    unlinkat(rootfd, tmp, AT_REMOVEDIR);
    if (fd < 0)
      return uoci_fail(err, e, "open state directory %s/%s", root, id);
    close(fd);
    if (*err)
      return -1;
    if (e == EEXIST)
      return uoci_fail(err, 0, "container \"%s\" already exists", id);
    return uoci_fail(err, e, "create state directory %s/%s", root, id);
  }
  return fd;
}

/* A key repeated in a damaged file replaces the earlier value. */
static void replace(char **field, const char *val)
{
  free(*field);
  *field = xstrdup(val);
}

/* A pid as state_save writes it: one that pid_t holds (4294967297 is no pid,
 * not pid 1). */
static bool parse_pid(const char *val, pid_t *pid)
{
  unsigned long long u;
  if (parse_uint64(val, &u) < 0 || u > INT_MAX)
    return false;
  *pid = (pid_t) u;
  return true;
}

static void set_field(struct uoci_state *st, const char *key, const char *val)
{
  unsigned long long u;
  pid_t pid;
  if (strcmp(key, "pid") == 0 && parse_pid(val, &pid))
    st->pid = pid;
  else if (strcmp(key, "start") == 0 && parse_uint64(val, &u) == 0)
    st->start_time = u;
  else if (strcmp(key, "owner") == 0 && parse_uint64(val, &u) == 0)
    st->owner = (uid_t) u;
  else if (strcmp(key, "bundle") == 0)
    replace(&st->bundle, val);
  else if (strcmp(key, "rootfs") == 0)
    replace(&st->rootfs, val);
  else if (strcmp(key, "created") == 0)
    replace(&st->created, val);
  else if (strcmp(key, "cgroup") == 0)
    replace(&st->cgroup, val);
  else if (strcmp(key, "keyring") == 0)
    replace(&st->keyring, val);
  else if (strcmp(key, "exe") == 0)
    replace(&st->exe, val);
  else if (strcmp(key, "annotations") == 0)
    replace(&st->annotations, val);
}

/* "does not exist", with ENOENT kept so callers can tell it apart
 * (delete --force) without matching the text. */
static int fail_not_exist(uoci_error **err, const char *id)
{
  if (err == NULL || *err != NULL)
    return -1;
  uoci_fail(err, 0, "container \"%s\" does not exist", id);
  if (*err)
    (*err)->errnum = ENOENT;
  return -1;
}

/* No state file ever grows near this (annotations are recorded up to 2 KiB). */
#define STATE_FILE_MAX (1 << 20)

/* A container with no state to read: loaded as stopped, without a pid, which
 * delete --force removes without signalling anything. A state file that
 * cannot be one (a symlink, a FIFO, too large), or none at all (a create
 * that died half-way). */
static int load_without_state(struct uoci_state *st, const char *id, int *fd)
{
  st->id = xstrdup(id);
  st->damaged = true;
  st->dirfd = steal_fd(*fd);
  return 0;
}

/* tolerate_corrupt: load a state file without valid pid= and start= lines
 * as a stopped container instead of failing (delete --force). */
static int load(const char *root, const char *id, struct uoci_state *st, bool tolerate_corrupt, uoci_error **err)
{
  memset(st, 0, sizeof *st);
  st->dirfd = -1;
  if (state_validate_id(id, err) < 0)
    return -1;
  _cleanup_free_ char *dir = xasprintf("%s/%s", root, id);
  _cleanup_close_ int fd = -1, sfd = -1;
  struct stat sb;
  for (;;) {
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
      if (errno == ENOENT)
        return fail_not_exist(err, id);
      return uoci_fail(err, errno, "open state directory %s", dir);
    }
    if (lock_dir(fd, id, err) < 0)
      return -1;
    /* A delete that held the lock before us may have removed the directory
     * (and a create made a new one): only a linked directory is the
     * container. A directory is removed only once empty, so a linked state
     * file says so; its fstat also gives the size to read (below). */
    /* Not followed, not waited for: a symlink or a FIFO put there (a
     * --root others can write) is a damaged state, not a read elsewhere or
     * a hang of list, state and delete. */
    sfd = openat(fd, "state", O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (sfd >= 0) {
      if (fstat(sfd, &sb) < 0)
        return uoci_fail(err, errno, "container \"%s\": state", id);
      if (sb.st_nlink > 0)
        break;
      close(sfd);
      sfd = -1;
    } else if (errno != ENOENT) {
      if (tolerate_corrupt && fstat(fd, &sb) == 0 && sb.st_nlink > 0)
        return load_without_state(st, id, &fd);
      return uoci_fail(err, errno, "container \"%s\": open state", id);
    } else if (fstat(fd, &sb) == 0 && sb.st_nlink > 0) {
      return load_without_state(st, id, &fd); /* a create that died half-way */
    }
    close(fd);
  }
  /* A state file is well under 4 KiB: read into the stack. `list` loads a
   * thousand of them, and musl's malloc hands a freed buffer of this size
   * back to the kernel each time (an mmap, a page fault and a munmap per
   * container; docs/PERFORMANCE.md, "list of 1000"). One read of the size
   * fstat gave: every writer holds the lock we hold, so the file does not
   * change meanwhile, and no second read is needed to see its end. A size
   * of 0 (an empty file, or a file system that reports none) is read to
   * its end from the same fd, to the same bound. */
  if (!S_ISREG(sb.st_mode) || sb.st_size > STATE_FILE_MAX) {
    if (tolerate_corrupt)
      return load_without_state(st, id, &fd);
    if (S_ISREG(sb.st_mode))
      return uoci_fail(err, EFBIG, "container \"%s\": read state", id);
    return uoci_fail(err, 0, "container \"%s\": corrupt state file (delete --force removes it)", id);
  }
  char small[4096], *text = small;
  _cleanup_free_ char *big = NULL;
  size_t size = (size_t) sb.st_size;
  if (size == 0) {
    if (read_fd_buf(sfd, "state", small, sizeof small, STATE_FILE_MAX, &text, NULL, &big, err) < 0)
      return uoci_error_prefix(err, "container \"%s\"", id);
  } else {
    if (size >= sizeof small)
      text = big = xmalloc(size + 1);
    ssize_t n = read_all(sfd, text, size);
    if (n < 0)
      return uoci_fail(err, errno, "container \"%s\": read state", id);
    text[n] = '\0';
  }
  st->id = xstrdup(id);
  char *save = NULL;
  bool have_pid = false, have_start = false;
  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *eq = strchr(line, '=');
    if (eq == NULL)
      continue;
    *eq = '\0';
    unsigned long long u;
    pid_t pid;
    have_pid |= strcmp(line, "pid") == 0 && parse_pid(eq + 1, &pid);
    have_start |= strcmp(line, "start") == 0 && parse_uint64(eq + 1, &u) == 0;
    set_field(st, line, eq + 1);
  }
  /* state_save always writes both: without them the file is damaged, and
   * its pid (if any) must never be signalled. */
  if (!have_pid || !have_start) {
    if (!tolerate_corrupt) {
      state_release(st);
      return uoci_fail(err, 0, "container \"%s\": corrupt state file (delete --force removes it)", id);
    }
    st->pid = 0;
    st->damaged = true;
  }
  st->dirfd = steal_fd(fd);
  return 0;
}

char *state_dir_mark(int dirfd, const char *id)
{
  struct statx sx;
  if (statx(dirfd, "", AT_EMPTY_PATH, STATX_INO | STATX_BTIME, &sx) < 0)
    return NULL;
  /* no birth time (a file system without it): the inode alone */
  if (!(sx.stx_mask & STATX_BTIME))
    sx.stx_btime.tv_sec = 0, sx.stx_btime.tv_nsec = 0;
  return xasprintf("%s %u:%u:%llu:%lld.%09u", id, sx.stx_dev_major, sx.stx_dev_minor, (unsigned long long) sx.stx_ino,
                   (long long) sx.stx_btime.tv_sec, sx.stx_btime.tv_nsec);
}

int state_load(const char *root, const char *id, struct uoci_state *st, uoci_error **err)
{
  return load(root, id, st, false, err);
}

int state_load_any(const char *root, const char *id, struct uoci_state *st, uoci_error **err)
{
  return load(root, id, st, true, err);
}

/* "key=value\n", or nothing for an unset value. */
static void put_line(FILE *f, const char *key, const char *val)
{
  if (val)
    fprintf(f, "%s=%s\n", key, val);
}

/* The first save makes the file (tmp + rename: there is never an empty or
 * partial one); later ones rewrite it in place. Every reader takes the
 * directory's lock, which the writer holds, so none sees a half-written
 * file, and one short pwrite is not torn by a kill. A rename over the old
 * file would make ext4 write its data out at once (auto_da_alloc), and the
 * unlink at delete then waits for that I/O (~0.25 ms per run here,
 * docs/PERFORMANCE.md). A shorter text (not written today: pid, start time
 * and cgroup record only grow) still goes through a rename, so no stale
 * tail is left. */
static int write_state_file(int dirfd, const char *text, size_t len, uoci_error **err)
{
  _cleanup_close_ int fd = openat(dirfd, "state", O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno != ENOENT)
    return uoci_fail(err, errno, "open state");
  struct stat sb;
  if (fd >= 0 && fstat(fd, &sb) < 0)
    return uoci_fail(err, errno, "state");
  if (fd < 0 || !S_ISREG(sb.st_mode) || (size_t) sb.st_size > len)
    return write_file_atomic_at(dirfd, "state", text, len, err);
  for (size_t off = 0; off < len;) {
    ssize_t n = pwrite(fd, text + off, len - off, (off_t) off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return uoci_fail(err, n < 0 ? errno : EIO, "write state");
    off += (size_t) n;
  }
  return 0;
}

int state_save(const struct uoci_state *st, uoci_error **err)
{
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (f == NULL)
    return uoci_fail(err, errno, "state file");
  fprintf(f, "pid=%d\nstart=%llu\nowner=%u\n", (int) st->pid, st->start_time, (unsigned) st->owner);
  fprintf(f, "bundle=%s\nrootfs=%s\ncreated=%s\n", st->bundle ? st->bundle : "", st->rootfs ? st->rootfs : "",
          st->created ? st->created : "");
  put_line(f, "cgroup", st->cgroup);
  put_line(f, "keyring", st->keyring);
  put_line(f, "exe", st->exe);
  put_line(f, "annotations", st->annotations);
  fclose(f);
  int r = write_state_file(st->dirfd, text, len, err);
  free(text);
  return r;
}

bool state_ptrace_marked(int dirfd) { return faccessat(dirfd, "ptrace", F_OK, 0) == 0; }

int state_mark_ptrace(int dirfd, uoci_error **err)
{
  int fd = openat(dirfd, "ptrace", O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return uoci_fail(err, errno, "state: mark CAP_SYS_PTRACE");
  close(fd);
  return 0;
}

int state_exec_lock(int dirfd, int how, uoci_error **err)
{
  int fd = openat(dirfd, "exec.lock", O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return uoci_fail(err, errno, "state: open exec.lock");
  while (flock(fd, how) < 0) {
    if (errno != EINTR) {
      int e = errno;
      close(fd);
      return uoci_fail(err, e, "state: lock exec.lock");
    }
  }
  return fd;
}

int state_remove(const char *root, const char *id, int dirfd, uoci_error **err)
{
  static const char *const files[] = { "state", "state.tmp", "config.json", "exec.fifo", "ptrace", "exec.lock" };
  for (size_t i = 0; i < ARRAY_SIZE(files); i++)
    unlinkat(dirfd, files[i], 0);
  /* notify.h: the sd_notify socket and its directory */
  unlinkat(dirfd, "notify/notify.sock", 0);
  unlinkat(dirfd, "notify", AT_REMOVEDIR);
  _cleanup_free_ char *dir = xasprintf("%s/%s", root, id);
  if (rmdir(dir) < 0 && errno != ENOENT) {
    /* Unknown leftovers: remove them too, the directory is ours. */
    _cleanup_close_ int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(steal_fd(fd)) : NULL;
    if (d) {
      struct dirent *de;
      while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
          unlinkat(dirfd, de->d_name, 0);
      closedir(d);
    }
    if (rmdir(dir) < 0 && errno != ENOENT)
      return uoci_fail(err, errno, "remove state directory %s", dir);
  }
  return 0;
}

enum container_status state_status(const struct uoci_state *st)
{
  if (st->pid <= 0)
    return STATUS_STOPPED;
  unsigned long long start = proc_start_time(st->pid);
  /* No recorded start time: the pid can't be told from a reused one. */
  if (start == 0 || start != st->start_time)
    return STATUS_STOPPED;
  if (faccessat(st->dirfd, "exec.fifo", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return STATUS_CREATED;
  if (st->cgroup && cgroup_saved_is_frozen(st->cgroup) == 1)
    return STATUS_PAUSED;
  return STATUS_RUNNING;
}

static ocispec_config *load_config(const struct uoci_state *st, bool only_annotations, uoci_error **err)
{
  /* On the stack when it fits, for `list` as the state file (load above). */
  char small[16384], *text = NULL;
  _cleanup_free_ char *big = NULL;
  size_t len;
  if (read_file_at_buf(st->dirfd, "config.json", small, sizeof small, &text, &len, &big, err) < 0)
    return NULL;
  /* A text with neither the word nor a \u escape (which could spell it)
   * has no annotations: `list --format json` of a thousand containers then
   * skips a thousand parses (~17 us each). */
  if (only_annotations && strstr(text, "annotations") == NULL && strstr(text, "\\u") == NULL)
    return NULL;
  char *perr = NULL;
  ocispec_config *c = ocispec_parse(&ocispec_config_type, text, len, "config.json", &perr);
  if (c == NULL) {
    uoci_fail(err, 0, "container \"%s\": %s", st->id, perr);
    free(perr);
  }
  return c;
}

ocispec_config *state_config(const struct uoci_state *st, uoci_error **err)
{
  return load_config(st, false, err);
}

#define GEN_STR(g, s) yajl_gen_string(g, (const unsigned char *) (s), strlen(s))

char *state_annotations_record(const ocispec_strmap *annotations)
{
  yajl_gen g = yajl_gen_alloc(NULL);
  if (g == NULL)
    return NULL;
  /* not beautified: one line (yajl writes a newline or any other control
   * character in a string as an escape) */
  yajl_gen_map_open(g);
  for (size_t i = 0; annotations && i < annotations->len; i++) {
    GEN_STR(g, annotations->keys[i]);
    GEN_STR(g, annotations->values[i]);
  }
  yajl_gen_map_close(g);
  const unsigned char *buf;
  size_t len;
  char *out = NULL;
  if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok && len <= STATE_ANNOTATIONS_MAX &&
      memchr(buf, '\n', len) == NULL) {
    out = xmalloc(len + 1);
    memcpy(out, buf, len);
    out[len] = '\0';
  }
  yajl_gen_free(g);
  return out;
}

/* The record back into *out; -1 when it is not an object of strings. */
static int decode_annotations(const char *record, ocispec_strmap *out)
{
  if (strcmp(record, "{}") == 0) /* no annotations: the usual case, no parse */
    return 0;
  /* Never longer when written: a longer one was edited, and a million nested
   * arrays there crashed `state` and `list` (yajl_tree_free recurses per
   * level). 2048 bytes nest at most 1024 deep, which that recursion takes. */
  if (strlen(record) > STATE_ANNOTATIONS_MAX)
    return -1;
  char why[64];
  yajl_val v = yajl_tree_parse(record, why, sizeof why);
  int r = YAJL_IS_OBJECT(v) ? 0 : -1;
  for (size_t i = 0; r == 0 && i < v->u.object.len; i++) {
    const char *val = YAJL_GET_STRING(v->u.object.values[i]);
    if (val == NULL || ocispec_strmap_set(out, v->u.object.keys[i], val) < 0)
      r = -1;
  }
  yajl_tree_free(v);
  if (r < 0)
    ocispec_strmap_clear(out);
  return r;
}

int state_annotations(const struct uoci_state *st, ocispec_strmap *out, uoci_error **err)
{
  memset(out, 0, sizeof *out);
  /* a record that does not decode (the file was edited) is no record */
  if (st->annotations && decode_annotations(st->annotations, out) == 0)
    return 0;
  uoci_error *e = NULL;
  ocispec_config *cfg = load_config(st, true, &e);
  if (cfg) {
    *out = cfg->annotations;
    memset(&cfg->annotations, 0, sizeof cfg->annotations);
    ocispec_config_free(cfg);
    return 0;
  }
  if (e == NULL) /* load_config found no annotations without parsing */
    return 0;
  if (err && *err == NULL)
    *err = e;
  else
    uoci_error_free(e);
  return -1;
}

static void gen_state(yajl_gen g, const struct uoci_state *st, enum container_status status,
                      const ocispec_strmap *annotations)
{
  yajl_gen_map_open(g);
  GEN_STR(g, "ociVersion");
  GEN_STR(g, OCISPEC_VERSION);
  GEN_STR(g, "id");
  GEN_STR(g, st->id);
  GEN_STR(g, "pid");
  /* The init's pid stays visible after it exits (as crun): tools that
   * inspect a short-lived container still find which process it was. */
  yajl_gen_integer(g, st->pid);
  GEN_STR(g, "status");
  GEN_STR(g, status_name(status));
  GEN_STR(g, "bundle");
  GEN_STR(g, st->bundle ? st->bundle : "");
  GEN_STR(g, "rootfs");
  GEN_STR(g, st->rootfs ? st->rootfs : "");
  GEN_STR(g, "created");
  GEN_STR(g, st->created ? st->created : "");
  GEN_STR(g, "owner");
  GEN_STR(g, st->owner == 0 ? "root" : "");
  if (annotations && annotations->len) {
    GEN_STR(g, "annotations");
    yajl_gen_map_open(g);
    for (size_t i = 0; i < annotations->len; i++) {
      GEN_STR(g, annotations->keys[i]);
      GEN_STR(g, annotations->values[i]);
    }
    yajl_gen_map_close(g);
  }
  yajl_gen_map_close(g);
}

char *state_json(const struct uoci_state *st, enum container_status status, const ocispec_strmap *annotations,
                 bool pretty)
{
  yajl_gen g = yajl_gen_alloc(NULL);
  if (g == NULL)
    return NULL;
  yajl_gen_config(g, yajl_gen_beautify, pretty ? 1 : 0);
  yajl_gen_config(g, yajl_gen_indent_string, "  ");
  gen_state(g, st, status, annotations);
  const unsigned char *buf;
  size_t len;
  yajl_gen_get_buf(g, &buf, &len);
  char *out = xmalloc(len + 1);
  memcpy(out, buf, len);
  out[len] = '\0';
  yajl_gen_free(g);
  return out;
}

struct state_json_array {
  yajl_gen g;
};

state_json_array *state_json_array_new(void)
{
  yajl_gen g = yajl_gen_alloc(NULL);
  if (g == NULL)
    return NULL;
  state_json_array *a = xcalloc(1, sizeof *a);
  a->g = g;
  yajl_gen_array_open(a->g);
  return a;
}

void state_json_array_add(state_json_array *a, const struct uoci_state *st, enum container_status status,
                          const ocispec_strmap *annotations)
{
  gen_state(a->g, st, status, annotations);
}

void state_json_array_flush(state_json_array *a, FILE *out, bool last)
{
  if (last)
    yajl_gen_array_close(a->g);
  const unsigned char *buf;
  size_t len;
  yajl_gen_get_buf(a->g, &buf, &len);
  fwrite(buf, 1, len, out);
  /* empties the buffer, keeps the generator's place in the array (the
   * next element still gets its comma) */
  yajl_gen_clear(a->g);
}

void state_json_array_free(state_json_array *a)
{
  if (a)
    yajl_gen_free(a->g);
  free(a);
}

void state_unlock(struct uoci_state *st)
{
  if (st->dirfd >= 0)
    close(st->dirfd);
  st->dirfd = -1;
}

void state_release(struct uoci_state *st)
{
  free(st->id);
  free(st->bundle);
  free(st->rootfs);
  free(st->created);
  free(st->cgroup);
  free(st->keyring);
  free(st->exe);
  free(st->annotations);
  if (st->dirfd >= 0)
    close(st->dirfd);
  memset(st, 0, sizeof *st);
  st->dirfd = -1;
}
