/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ocispec.h - typed C model of the OCI runtime-spec documents (target 1.3):
 * config.json, state and features, plus the pieces the CLI reads alone
 * (exec's process.json, update's resources JSON).
 *
 * Conventions, the same for every struct so that one table-driven decoder
 * and encoder (ocispec.c) can walk them all:
 *   - JSON name fooBar   -> C member foo_bar
 *   - string             -> char *           (NULL when absent)
 *   - bool / integer     -> value + `bool has_<name>` (false when absent)
 *   - array of strings   -> char **name; size_t name_len;   (name NULL when absent;
 *                           as parsed, also NULL-terminated: name[name_len] == NULL)
 *   - array of u32       -> uint32_t *name; size_t name_len;
 *   - array of objects   -> T *name; size_t name_len;   (elements stored inline)
 *   - object             -> T *name             (NULL when absent)
 *   - map string->string -> ocispec_strmap name (keys NULL when absent)
 *   - map string->object -> OCISPEC_MAP(T) name
 * Unknown JSON properties are ignored, as the spec requires. Every decode
 * error names the JSON path of the first problem, e.g.
 *   "config.json: .linux.resources.memory.limit: expected integer, got string". */
#ifndef OCISPEC_H
#define OCISPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OCISPEC_VERSION "1.3.0"

/* GNU C predefines `linux` as 1; the spec's "linux" object needs the name. */
#ifdef linux
#undef linux
#endif

typedef struct {
  char **keys;
  char **values;
  size_t len;
} ocispec_strmap;

#define OCISPEC_MAP(T) \
  struct {             \
    char **keys;       \
    T *values;         \
    size_t len;        \
  }

/* ---- process ---------------------------------------------------------- */

typedef struct {
  uint32_t height; bool has_height;
  uint32_t width;  bool has_width;
} ocispec_box;

typedef struct {
  uint32_t uid;   bool has_uid;
  uint32_t gid;   bool has_gid;
  uint32_t umask; bool has_umask;
  uint32_t *additional_gids; size_t additional_gids_len;
  char *username;
} ocispec_user;

typedef struct {
  char **bounding;    size_t bounding_len;
  char **effective;   size_t effective_len;
  char **inheritable; size_t inheritable_len;
  char **permitted;   size_t permitted_len;
  char **ambient;     size_t ambient_len;
} ocispec_capabilities;

typedef struct {
  char *type;
  uint64_t hard; bool has_hard;
  uint64_t soft; bool has_soft;
} ocispec_rlimit;

typedef struct {
  char *policy;
  int32_t nice;      bool has_nice;
  int32_t priority;  bool has_priority;
  char **flags;      size_t flags_len;
  uint64_t runtime;  bool has_runtime;
  uint64_t deadline; bool has_deadline;
  uint64_t period;   bool has_period;
} ocispec_scheduler;

typedef struct {
  char *class;
  int32_t priority; bool has_priority;
} ocispec_io_priority;

typedef struct {
  char *initial;
  char *final;
} ocispec_exec_cpu_affinity;

typedef struct {
  bool terminal; bool has_terminal;
  ocispec_box *console_size;
  ocispec_user *user;
  char **args; size_t args_len;
  char *command_line;
  char **env; size_t env_len;
  char *cwd;
  ocispec_capabilities *capabilities;
  ocispec_rlimit *rlimits; size_t rlimits_len;
  bool no_new_privileges; bool has_no_new_privileges;
  char *apparmor_profile;
  int32_t oom_score_adj; bool has_oom_score_adj;
  ocispec_scheduler *scheduler;
  char *selinux_label;
  ocispec_io_priority *io_priority;
  ocispec_exec_cpu_affinity *exec_cpu_affinity;
} ocispec_process;

/* ---- root, mounts, hooks ---------------------------------------------- */

typedef struct {
  char *path;
  bool readonly; bool has_readonly;
} ocispec_root;

typedef struct {
  uint32_t container_id; bool has_container_id;
  uint32_t host_id;      bool has_host_id;
  uint32_t size;         bool has_size;
} ocispec_id_mapping;

typedef struct {
  char *destination;
  char *type;
  char *source;
  char **options; size_t options_len;
  ocispec_id_mapping *uid_mappings; size_t uid_mappings_len;
  ocispec_id_mapping *gid_mappings; size_t gid_mappings_len;
} ocispec_mount;

typedef struct {
  char *path;
  char **args; size_t args_len;
  char **env;  size_t env_len;
  int32_t timeout; bool has_timeout;
} ocispec_hook;

typedef struct {
  ocispec_hook *prestart;         size_t prestart_len;
  ocispec_hook *create_runtime;   size_t create_runtime_len;
  ocispec_hook *create_container; size_t create_container_len;
  ocispec_hook *start_container;  size_t start_container_len;
  ocispec_hook *poststart;        size_t poststart_len;
  ocispec_hook *poststop;         size_t poststop_len;
} ocispec_hooks;

/* ---- linux.resources ---------------------------------------------------- */

typedef struct {
  bool allow; bool has_allow;
  char *type;
  int64_t major; bool has_major;
  int64_t minor; bool has_minor;
  char *access;
} ocispec_device_cgroup;

typedef struct {
  int64_t limit;       bool has_limit;
  int64_t reservation; bool has_reservation;
  int64_t swap;        bool has_swap;
  int64_t kernel;      bool has_kernel;
  int64_t kernel_tcp;  bool has_kernel_tcp;
  uint64_t swappiness; bool has_swappiness;
  bool disable_oom_killer;  bool has_disable_oom_killer;
  bool use_hierarchy;       bool has_use_hierarchy;
  bool check_before_update; bool has_check_before_update;
} ocispec_memory;

typedef struct {
  uint64_t shares;           bool has_shares;
  int64_t quota;             bool has_quota;
  uint64_t burst;            bool has_burst;
  uint64_t period;           bool has_period;
  int64_t realtime_runtime;  bool has_realtime_runtime;
  uint64_t realtime_period;  bool has_realtime_period;
  char *cpus;
  char *mems;
  int64_t idle;              bool has_idle;
} ocispec_cpu;

typedef struct {
  int64_t limit; bool has_limit;
} ocispec_pids;

typedef struct {
  int64_t major;        bool has_major;
  int64_t minor;        bool has_minor;
  uint16_t weight;      bool has_weight;
  uint16_t leaf_weight; bool has_leaf_weight;
} ocispec_weight_device;

typedef struct {
  int64_t major; bool has_major;
  int64_t minor; bool has_minor;
  uint64_t rate; bool has_rate;
} ocispec_throttle_device;

typedef struct {
  uint16_t weight;      bool has_weight;
  uint16_t leaf_weight; bool has_leaf_weight;
  ocispec_weight_device *weight_device; size_t weight_device_len;
  ocispec_throttle_device *throttle_read_bps_device;   size_t throttle_read_bps_device_len;
  ocispec_throttle_device *throttle_write_bps_device;  size_t throttle_write_bps_device_len;
  ocispec_throttle_device *throttle_read_iops_device;  size_t throttle_read_iops_device_len;
  ocispec_throttle_device *throttle_write_iops_device; size_t throttle_write_iops_device_len;
} ocispec_block_io;

typedef struct {
  char *page_size;
  uint64_t limit; bool has_limit;
} ocispec_hugepage_limit;

typedef struct {
  char *name;
  uint32_t priority; bool has_priority;
} ocispec_interface_priority;

typedef struct {
  uint32_t class_id; bool has_class_id;          /* JSON "classID" */
  ocispec_interface_priority *priorities; size_t priorities_len;
} ocispec_network;

typedef struct {
  uint32_t hca_handles; bool has_hca_handles;
  uint32_t hca_objects; bool has_hca_objects;
} ocispec_rdma;

typedef struct {
  ocispec_device_cgroup *devices; size_t devices_len;
  ocispec_memory *memory;
  ocispec_cpu *cpu;
  ocispec_pids *pids;
  ocispec_block_io *block_io;
  ocispec_hugepage_limit *hugepage_limits; size_t hugepage_limits_len;
  ocispec_network *network;
  OCISPEC_MAP(ocispec_rdma) rdma;
  ocispec_strmap unified;
} ocispec_resources;

/* ---- linux -------------------------------------------------------------- */

typedef struct {
  char *type;
  char *path;
} ocispec_namespace;

typedef struct {
  char *path;
  char *type;
  int64_t major;      bool has_major;
  int64_t minor;      bool has_minor;
  uint32_t file_mode; bool has_file_mode;
  uint32_t uid;       bool has_uid;
  uint32_t gid;       bool has_gid;
} ocispec_device;

typedef struct {
  uint32_t index;      bool has_index;
  uint64_t value;      bool has_value;
  uint64_t value_two;  bool has_value_two;
  char *op;
} ocispec_seccomp_arg;

typedef struct {
  char **names; size_t names_len;
  char *action;
  uint32_t errno_ret; bool has_errno_ret;
  ocispec_seccomp_arg *args; size_t args_len;
} ocispec_syscall;

typedef struct {
  char *default_action;
  uint32_t default_errno_ret; bool has_default_errno_ret;
  char **architectures; size_t architectures_len;
  char **flags; size_t flags_len;
  char *listener_path;
  char *listener_metadata;
  ocispec_syscall *syscalls; size_t syscalls_len;
} ocispec_seccomp;

typedef struct {
  char *clos_id;                                  /* JSON "closID" */
  char *l3_cache_schema;
  char *mem_bw_schema;
  char **schemata; size_t schemata_len;
  bool enable_monitoring; bool has_enable_monitoring;
  bool enable_cmt;        bool has_enable_cmt;    /* JSON "enableCMT" */
  bool enable_mbm;        bool has_enable_mbm;    /* JSON "enableMBM" */
} ocispec_intel_rdt;

typedef struct {
  char *domain;
  char **flags; size_t flags_len;
} ocispec_personality;

typedef struct {
  int64_t secs;      bool has_secs;
  uint32_t nanosecs; bool has_nanosecs;
} ocispec_time_offset;

typedef struct {
  char *mode;
  char *nodes;
  char **flags; size_t flags_len;
} ocispec_memory_policy;

typedef struct {
  char *name;
} ocispec_net_device;

typedef struct {
  ocispec_id_mapping *uid_mappings; size_t uid_mappings_len;
  ocispec_id_mapping *gid_mappings; size_t gid_mappings_len;
  ocispec_strmap sysctl;
  ocispec_resources *resources;
  char *cgroups_path;
  ocispec_namespace *namespaces; size_t namespaces_len;
  ocispec_device *devices; size_t devices_len;
  ocispec_seccomp *seccomp;
  char *rootfs_propagation;
  char **masked_paths;   size_t masked_paths_len;
  char **readonly_paths; size_t readonly_paths_len;
  char *mount_label;
  ocispec_intel_rdt *intel_rdt;
  ocispec_personality *personality;
  OCISPEC_MAP(ocispec_time_offset) time_offsets;
  ocispec_memory_policy *memory_policy;
  OCISPEC_MAP(ocispec_net_device) net_devices;
} ocispec_linux;

/* ---- config.json -------------------------------------------------------- */

typedef struct {
  char *oci_version;
  ocispec_process *process;
  ocispec_root *root;
  char *hostname;
  char *domainname;
  ocispec_mount *mounts; size_t mounts_len;
  ocispec_hooks *hooks;
  ocispec_strmap annotations;
  ocispec_linux *linux;
} ocispec_config;

/* ---- state -------------------------------------------------------------- */

typedef struct {
  char *oci_version;
  char *id;
  char *status;
  int32_t pid; bool has_pid;
  char *bundle;
  ocispec_strmap annotations;
} ocispec_state;

/* ---- features ----------------------------------------------------------- */

typedef struct {
  bool enabled; bool has_enabled;
} ocispec_feature_enabled;

typedef struct {
  bool v1;           bool has_v1;
  bool v2;           bool has_v2;
  bool systemd;      bool has_systemd;
  bool systemd_user; bool has_systemd_user;
  bool rdma;         bool has_rdma;
} ocispec_features_cgroup;

typedef struct {
  bool enabled; bool has_enabled;
  char **actions;         size_t actions_len;
  char **operators;       size_t operators_len;
  char **archs;           size_t archs_len;
  char **known_flags;     size_t known_flags_len;
  char **supported_flags; size_t supported_flags_len;
} ocispec_features_seccomp;

typedef struct {
  ocispec_feature_enabled *idmap;
} ocispec_features_mount_extensions;

/* features.linux.intelRdt: spec 1.3 adds schemata and monitoring next to
 * enabled (first member kept first, so ->enabled reads as before). */
typedef struct {
  bool enabled;    bool has_enabled;
  bool schemata;   bool has_schemata;
  bool monitoring; bool has_monitoring;
} ocispec_features_intel_rdt;

typedef struct {
  char **modes; size_t modes_len;
  char **flags; size_t flags_len;
} ocispec_features_memory_policy;

typedef struct {
  char **namespaces;   size_t namespaces_len;
  char **capabilities; size_t capabilities_len;
  ocispec_features_cgroup *cgroup;
  ocispec_features_seccomp *seccomp;
  ocispec_feature_enabled *apparmor;
  ocispec_feature_enabled *selinux;
  ocispec_features_intel_rdt *intel_rdt;
  ocispec_features_mount_extensions *mount_extensions;
  ocispec_feature_enabled *net_devices;
  ocispec_features_memory_policy *memory_policy;
} ocispec_features_linux;

typedef struct {
  char *oci_version_min;
  char *oci_version_max;
  char **hooks;         size_t hooks_len;
  char **mount_options; size_t mount_options_len;
  ocispec_features_linux *linux;
  char **potentially_unsafe_config_annotations; size_t potentially_unsafe_config_annotations_len;
  ocispec_strmap annotations;
} ocispec_features;

/* ---- generic, table-driven API ----------------------------------------- */

/* Opaque descriptor of one document type (a table of field descriptors). */
typedef struct ocispec_type ocispec_type;

extern const ocispec_type ocispec_config_type;
extern const ocispec_type ocispec_process_type;   /* exec --process FILE */
extern const ocispec_type ocispec_resources_type; /* update --resources FILE */
extern const ocispec_type ocispec_state_type;
extern const ocispec_type ocispec_features_type;

/* Decode JSON text into a newly allocated object of type T. `docname` prefixes
 * error messages ("config.json"). On failure returns NULL and sets *err to a
 * malloc'd one-line message "DOCNAME: .json.path: what is wrong". Paths use
 * .member, [index] and ["map key"]: `.linux.resources.rdma["mlx5_1"].hcaHandles`.
 * Syntax errors read "DOCNAME: invalid JSON at byte N: <yajl's message>". */
void *ocispec_parse(const ocispec_type *t, const char *json, size_t len, const char *docname, char **err);

/* Read and decode a file; errors name the file ("/b/config.json: ..."). */
void *ocispec_parse_file(const ocispec_type *t, const char *path, char **err);

/* Encode an object to JSON (pretty: indented, newline-terminated). Absent
 * fields are omitted. Returns malloc'd text, NULL with *err on failure. */
char *ocispec_generate(const ocispec_type *t, const void *obj, bool pretty, char **err);

/* Free an object (and everything it owns) of type T. NULL is fine. */
void ocispec_free(const ocispec_type *t, void *obj);

/* strmap helpers */
const char *ocispec_strmap_get(const ocispec_strmap *m, const char *key);
/* Set (copy) key=value, replacing an existing key. Returns -1 on ENOMEM. */
int ocispec_strmap_set(ocispec_strmap *m, const char *key, const char *value);
/* Free every key and value of m (one filled by ocispec_strmap_set) and empty it. */
void ocispec_strmap_clear(ocispec_strmap *m);

/* Typed conveniences */
static inline ocispec_config *ocispec_config_parse_file(const char *path, char **err)
{ return (ocispec_config *) ocispec_parse_file(&ocispec_config_type, path, err); }
static inline void ocispec_config_free(ocispec_config *c) { ocispec_free(&ocispec_config_type, c); }
static inline void ocispec_state_free(ocispec_state *s) { ocispec_free(&ocispec_state_type, s); }
static inline void ocispec_process_free(ocispec_process *p) { ocispec_free(&ocispec_process_type, p); }
static inline void ocispec_resources_free(ocispec_resources *r) { ocispec_free(&ocispec_resources_type, r); }
static inline void ocispec_features_free(ocispec_features *f) { ocispec_free(&ocispec_features_type, f); }

#endif
