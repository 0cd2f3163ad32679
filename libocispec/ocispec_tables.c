/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ocispec_tables.c - one descriptor table per struct of ocispec.h.
 *
 * Members are listed in the order of the runtime-spec's specs-go, which is
 * also the order in which ocispec_generate writes them. Every entry checks
 * at compile time that the C member has the type its kind implies, so a
 * table cannot drift from the header silently. */
#include "ocispec_internal.h"

#define MEMBER_IS(T, m, type) __builtin_types_compatible_p(__typeof__(((T *) 0)->m), type)
/* 0, or a compile error ("size of array is negative") when cond is false. */
#define CHECK(cond) (0 * sizeof(char[(cond) ? 1 : -1]))

#define F_STR(T, json, m) \
  { json, KIND_STRING, offsetof(T, m) + CHECK(MEMBER_IS(T, m, char *)), 0, NULL }
#define F_SCALAR(T, json, m, kind, ctype)                               \
  { json, kind, offsetof(T, m) + CHECK(MEMBER_IS(T, m, ctype)),         \
    offsetof(T, has_##m) + CHECK(MEMBER_IS(T, has_##m, bool)), NULL }
#define F_BOOL(T, json, m) F_SCALAR(T, json, m, KIND_BOOL, bool)
#define F_I32(T, json, m) F_SCALAR(T, json, m, KIND_I32, int32_t)
#define F_U32(T, json, m) F_SCALAR(T, json, m, KIND_U32, uint32_t)
#define F_U16(T, json, m) F_SCALAR(T, json, m, KIND_U16, uint16_t)
#define F_I64(T, json, m) F_SCALAR(T, json, m, KIND_I64, int64_t)
#define F_U64(T, json, m) F_SCALAR(T, json, m, KIND_U64, uint64_t)
#define F_ARRAY(T, json, m, kind, ctype, sub)                           \
  { json, kind, offsetof(T, m) + CHECK(MEMBER_IS(T, m, ctype)),         \
    offsetof(T, m##_len) + CHECK(MEMBER_IS(T, m##_len, size_t)), sub }
#define F_STRS(T, json, m) F_ARRAY(T, json, m, KIND_STRING_ARRAY, char **, NULL)
#define F_U32S(T, json, m) F_ARRAY(T, json, m, KIND_U32_ARRAY, uint32_t *, NULL)
#define F_OBJS(T, json, m, S) F_ARRAY(T, json, m, KIND_OBJECT_ARRAY, S *, &S##_type)
#define F_OBJ(T, json, m, S) \
  { json, KIND_OBJECT, offsetof(T, m) + CHECK(MEMBER_IS(T, m, S *)), 0, &S##_type }
#define F_STRMAP(T, json, m) \
  { json, KIND_STRMAP, offsetof(T, m) + CHECK(MEMBER_IS(T, m, ocispec_strmap)), 0, NULL }
#define F_OBJMAP(T, json, m, S) \
  { json, KIND_OBJECT_MAP, offsetof(T, m) + CHECK(MEMBER_IS(T, m.values, S *)), 0, &S##_type }

/* The descriptor of struct S, named S_type; its name drops "ocispec_". */
#define DEFINE_TYPE(linkage, S) \
  linkage const ocispec_type S##_type = { &(#S)[sizeof "ocispec_" - 1], sizeof(S), S##_fields, sizeof S##_fields / sizeof S##_fields[0] }

/* ---- process ------------------------------------------------------------- */

static const field_desc ocispec_box_fields[] = {
  F_U32(ocispec_box, "height", height),
  F_U32(ocispec_box, "width", width),
};
DEFINE_TYPE(static, ocispec_box);

static const field_desc ocispec_user_fields[] = {
  F_U32(ocispec_user, "uid", uid),
  F_U32(ocispec_user, "gid", gid),
  F_U32(ocispec_user, "umask", umask),
  F_U32S(ocispec_user, "additionalGids", additional_gids),
  F_STR(ocispec_user, "username", username),
};
DEFINE_TYPE(static, ocispec_user);

static const field_desc ocispec_capabilities_fields[] = {
  F_STRS(ocispec_capabilities, "bounding", bounding),
  F_STRS(ocispec_capabilities, "effective", effective),
  F_STRS(ocispec_capabilities, "inheritable", inheritable),
  F_STRS(ocispec_capabilities, "permitted", permitted),
  F_STRS(ocispec_capabilities, "ambient", ambient),
};
DEFINE_TYPE(static, ocispec_capabilities);

static const field_desc ocispec_rlimit_fields[] = {
  F_STR(ocispec_rlimit, "type", type),
  F_U64(ocispec_rlimit, "hard", hard),
  F_U64(ocispec_rlimit, "soft", soft),
};
DEFINE_TYPE(static, ocispec_rlimit);

static const field_desc ocispec_scheduler_fields[] = {
  F_STR(ocispec_scheduler, "policy", policy),
  F_I32(ocispec_scheduler, "nice", nice),
  F_I32(ocispec_scheduler, "priority", priority),
  F_STRS(ocispec_scheduler, "flags", flags),
  F_U64(ocispec_scheduler, "runtime", runtime),
  F_U64(ocispec_scheduler, "deadline", deadline),
  F_U64(ocispec_scheduler, "period", period),
};
DEFINE_TYPE(static, ocispec_scheduler);

static const field_desc ocispec_io_priority_fields[] = {
  F_STR(ocispec_io_priority, "class", class),
  F_I32(ocispec_io_priority, "priority", priority),
};
DEFINE_TYPE(static, ocispec_io_priority);

static const field_desc ocispec_exec_cpu_affinity_fields[] = {
  F_STR(ocispec_exec_cpu_affinity, "initial", initial),
  F_STR(ocispec_exec_cpu_affinity, "final", final),
};
DEFINE_TYPE(static, ocispec_exec_cpu_affinity);

static const field_desc ocispec_process_fields[] = {
  F_BOOL(ocispec_process, "terminal", terminal),
  F_OBJ(ocispec_process, "consoleSize", console_size, ocispec_box),
  F_OBJ(ocispec_process, "user", user, ocispec_user),
  F_STRS(ocispec_process, "args", args),
  F_STR(ocispec_process, "commandLine", command_line),
  F_STRS(ocispec_process, "env", env),
  F_STR(ocispec_process, "cwd", cwd),
  F_OBJ(ocispec_process, "capabilities", capabilities, ocispec_capabilities),
  F_OBJS(ocispec_process, "rlimits", rlimits, ocispec_rlimit),
  F_BOOL(ocispec_process, "noNewPrivileges", no_new_privileges),
  F_STR(ocispec_process, "apparmorProfile", apparmor_profile),
  F_I32(ocispec_process, "oomScoreAdj", oom_score_adj),
  F_OBJ(ocispec_process, "scheduler", scheduler, ocispec_scheduler),
  F_STR(ocispec_process, "selinuxLabel", selinux_label),
  F_OBJ(ocispec_process, "ioPriority", io_priority, ocispec_io_priority),
  F_OBJ(ocispec_process, "execCPUAffinity", exec_cpu_affinity, ocispec_exec_cpu_affinity),
};
DEFINE_TYPE(, ocispec_process);

/* ---- root, mounts, hooks ------------------------------------------------- */

static const field_desc ocispec_root_fields[] = {
  F_STR(ocispec_root, "path", path),
  F_BOOL(ocispec_root, "readonly", readonly),
};
DEFINE_TYPE(static, ocispec_root);

static const field_desc ocispec_id_mapping_fields[] = {
  F_U32(ocispec_id_mapping, "containerID", container_id),
  F_U32(ocispec_id_mapping, "hostID", host_id),
  F_U32(ocispec_id_mapping, "size", size),
};
DEFINE_TYPE(static, ocispec_id_mapping);

static const field_desc ocispec_mount_fields[] = {
  F_STR(ocispec_mount, "destination", destination),
  F_STR(ocispec_mount, "type", type),
  F_STR(ocispec_mount, "source", source),
  F_STRS(ocispec_mount, "options", options),
  F_OBJS(ocispec_mount, "uidMappings", uid_mappings, ocispec_id_mapping),
  F_OBJS(ocispec_mount, "gidMappings", gid_mappings, ocispec_id_mapping),
};
DEFINE_TYPE(static, ocispec_mount);

static const field_desc ocispec_hook_fields[] = {
  F_STR(ocispec_hook, "path", path),
  F_STRS(ocispec_hook, "args", args),
  F_STRS(ocispec_hook, "env", env),
  F_I32(ocispec_hook, "timeout", timeout),
};
DEFINE_TYPE(static, ocispec_hook);

static const field_desc ocispec_hooks_fields[] = {
  F_OBJS(ocispec_hooks, "prestart", prestart, ocispec_hook),
  F_OBJS(ocispec_hooks, "createRuntime", create_runtime, ocispec_hook),
  F_OBJS(ocispec_hooks, "createContainer", create_container, ocispec_hook),
  F_OBJS(ocispec_hooks, "startContainer", start_container, ocispec_hook),
  F_OBJS(ocispec_hooks, "poststart", poststart, ocispec_hook),
  F_OBJS(ocispec_hooks, "poststop", poststop, ocispec_hook),
};
DEFINE_TYPE(static, ocispec_hooks);

/* ---- linux.resources ----------------------------------------------------- */

static const field_desc ocispec_device_cgroup_fields[] = {
  F_BOOL(ocispec_device_cgroup, "allow", allow),
  F_STR(ocispec_device_cgroup, "type", type),
  F_I64(ocispec_device_cgroup, "major", major),
  F_I64(ocispec_device_cgroup, "minor", minor),
  F_STR(ocispec_device_cgroup, "access", access),
};
DEFINE_TYPE(static, ocispec_device_cgroup);

static const field_desc ocispec_memory_fields[] = {
  F_I64(ocispec_memory, "limit", limit),
  F_I64(ocispec_memory, "reservation", reservation),
  F_I64(ocispec_memory, "swap", swap),
  F_I64(ocispec_memory, "kernel", kernel),
  F_I64(ocispec_memory, "kernelTCP", kernel_tcp),
  F_U64(ocispec_memory, "swappiness", swappiness),
  F_BOOL(ocispec_memory, "disableOOMKiller", disable_oom_killer),
  F_BOOL(ocispec_memory, "useHierarchy", use_hierarchy),
  F_BOOL(ocispec_memory, "checkBeforeUpdate", check_before_update),
};
DEFINE_TYPE(static, ocispec_memory);

static const field_desc ocispec_cpu_fields[] = {
  F_U64(ocispec_cpu, "shares", shares),
  F_I64(ocispec_cpu, "quota", quota),
  F_U64(ocispec_cpu, "burst", burst),
  F_U64(ocispec_cpu, "period", period),
  F_I64(ocispec_cpu, "realtimeRuntime", realtime_runtime),
  F_U64(ocispec_cpu, "realtimePeriod", realtime_period),
  F_STR(ocispec_cpu, "cpus", cpus),
  F_STR(ocispec_cpu, "mems", mems),
  F_I64(ocispec_cpu, "idle", idle),
};
DEFINE_TYPE(static, ocispec_cpu);

static const field_desc ocispec_pids_fields[] = {
  F_I64(ocispec_pids, "limit", limit),
};
DEFINE_TYPE(static, ocispec_pids);

static const field_desc ocispec_weight_device_fields[] = {
  F_I64(ocispec_weight_device, "major", major),
  F_I64(ocispec_weight_device, "minor", minor),
  F_U16(ocispec_weight_device, "weight", weight),
  F_U16(ocispec_weight_device, "leafWeight", leaf_weight),
};
DEFINE_TYPE(static, ocispec_weight_device);

static const field_desc ocispec_throttle_device_fields[] = {
  F_I64(ocispec_throttle_device, "major", major),
  F_I64(ocispec_throttle_device, "minor", minor),
  F_U64(ocispec_throttle_device, "rate", rate),
};
DEFINE_TYPE(static, ocispec_throttle_device);

static const field_desc ocispec_block_io_fields[] = {
  F_U16(ocispec_block_io, "weight", weight),
  F_U16(ocispec_block_io, "leafWeight", leaf_weight),
  F_OBJS(ocispec_block_io, "weightDevice", weight_device, ocispec_weight_device),
  F_OBJS(ocispec_block_io, "throttleReadBpsDevice", throttle_read_bps_device, ocispec_throttle_device),
  F_OBJS(ocispec_block_io, "throttleWriteBpsDevice", throttle_write_bps_device, ocispec_throttle_device),
  F_OBJS(ocispec_block_io, "throttleReadIOPSDevice", throttle_read_iops_device, ocispec_throttle_device),
  F_OBJS(ocispec_block_io, "throttleWriteIOPSDevice", throttle_write_iops_device, ocispec_throttle_device),
};
DEFINE_TYPE(static, ocispec_block_io);

static const field_desc ocispec_hugepage_limit_fields[] = {
  F_STR(ocispec_hugepage_limit, "pageSize", page_size),
  F_U64(ocispec_hugepage_limit, "limit", limit),
};
DEFINE_TYPE(static, ocispec_hugepage_limit);

static const field_desc ocispec_interface_priority_fields[] = {
  F_STR(ocispec_interface_priority, "name", name),
  F_U32(ocispec_interface_priority, "priority", priority),
};
DEFINE_TYPE(static, ocispec_interface_priority);

static const field_desc ocispec_network_fields[] = {
  F_U32(ocispec_network, "classID", class_id),
  F_OBJS(ocispec_network, "priorities", priorities, ocispec_interface_priority),
};
DEFINE_TYPE(static, ocispec_network);

static const field_desc ocispec_rdma_fields[] = {
  F_U32(ocispec_rdma, "hcaHandles", hca_handles),
  F_U32(ocispec_rdma, "hcaObjects", hca_objects),
};
DEFINE_TYPE(static, ocispec_rdma);

static const field_desc ocispec_resources_fields[] = {
  F_OBJS(ocispec_resources, "devices", devices, ocispec_device_cgroup),
  F_OBJ(ocispec_resources, "memory", memory, ocispec_memory),
  F_OBJ(ocispec_resources, "cpu", cpu, ocispec_cpu),
  F_OBJ(ocispec_resources, "pids", pids, ocispec_pids),
  F_OBJ(ocispec_resources, "blockIO", block_io, ocispec_block_io),
  F_OBJS(ocispec_resources, "hugepageLimits", hugepage_limits, ocispec_hugepage_limit),
  F_OBJ(ocispec_resources, "network", network, ocispec_network),
  F_OBJMAP(ocispec_resources, "rdma", rdma, ocispec_rdma),
  F_STRMAP(ocispec_resources, "unified", unified),
};
DEFINE_TYPE(, ocispec_resources);

/* ---- linux --------------------------------------------------------------- */

static const field_desc ocispec_namespace_fields[] = {
  F_STR(ocispec_namespace, "type", type),
  F_STR(ocispec_namespace, "path", path),
};
DEFINE_TYPE(static, ocispec_namespace);

static const field_desc ocispec_device_fields[] = {
  F_STR(ocispec_device, "path", path),
  F_STR(ocispec_device, "type", type),
  F_I64(ocispec_device, "major", major),
  F_I64(ocispec_device, "minor", minor),
  F_U32(ocispec_device, "fileMode", file_mode),
  F_U32(ocispec_device, "uid", uid),
  F_U32(ocispec_device, "gid", gid),
};
DEFINE_TYPE(static, ocispec_device);

static const field_desc ocispec_seccomp_arg_fields[] = {
  F_U32(ocispec_seccomp_arg, "index", index),
  F_U64(ocispec_seccomp_arg, "value", value),
  F_U64(ocispec_seccomp_arg, "valueTwo", value_two),
  F_STR(ocispec_seccomp_arg, "op", op),
};
DEFINE_TYPE(static, ocispec_seccomp_arg);

static const field_desc ocispec_syscall_fields[] = {
  F_STRS(ocispec_syscall, "names", names),
  F_STR(ocispec_syscall, "action", action),
  F_U32(ocispec_syscall, "errnoRet", errno_ret),
  F_OBJS(ocispec_syscall, "args", args, ocispec_seccomp_arg),
};
DEFINE_TYPE(static, ocispec_syscall);

static const field_desc ocispec_seccomp_fields[] = {
  F_STR(ocispec_seccomp, "defaultAction", default_action),
  F_U32(ocispec_seccomp, "defaultErrnoRet", default_errno_ret),
  F_STRS(ocispec_seccomp, "architectures", architectures),
  F_STRS(ocispec_seccomp, "flags", flags),
  F_STR(ocispec_seccomp, "listenerPath", listener_path),
  F_STR(ocispec_seccomp, "listenerMetadata", listener_metadata),
  F_OBJS(ocispec_seccomp, "syscalls", syscalls, ocispec_syscall),
};
DEFINE_TYPE(static, ocispec_seccomp);

/* enableCMT/enableMBM are spec 1.2 members (replaced by enableMonitoring in
 * 1.3); still read so that older configs keep working. */
static const field_desc ocispec_intel_rdt_fields[] = {
  F_STR(ocispec_intel_rdt, "closID", clos_id),
  F_STRS(ocispec_intel_rdt, "schemata", schemata),
  F_STR(ocispec_intel_rdt, "l3CacheSchema", l3_cache_schema),
  F_STR(ocispec_intel_rdt, "memBwSchema", mem_bw_schema),
  F_BOOL(ocispec_intel_rdt, "enableMonitoring", enable_monitoring),
  F_BOOL(ocispec_intel_rdt, "enableCMT", enable_cmt),
  F_BOOL(ocispec_intel_rdt, "enableMBM", enable_mbm),
};
DEFINE_TYPE(static, ocispec_intel_rdt);

static const field_desc ocispec_personality_fields[] = {
  F_STR(ocispec_personality, "domain", domain),
  F_STRS(ocispec_personality, "flags", flags),
};
DEFINE_TYPE(static, ocispec_personality);

static const field_desc ocispec_time_offset_fields[] = {
  F_I64(ocispec_time_offset, "secs", secs),
  F_U32(ocispec_time_offset, "nanosecs", nanosecs),
};
DEFINE_TYPE(static, ocispec_time_offset);

static const field_desc ocispec_memory_policy_fields[] = {
  F_STR(ocispec_memory_policy, "mode", mode),
  F_STR(ocispec_memory_policy, "nodes", nodes),
  F_STRS(ocispec_memory_policy, "flags", flags),
};
DEFINE_TYPE(static, ocispec_memory_policy);

static const field_desc ocispec_net_device_fields[] = {
  F_STR(ocispec_net_device, "name", name),
};
DEFINE_TYPE(static, ocispec_net_device);

static const field_desc ocispec_linux_fields[] = {
  F_OBJS(ocispec_linux, "uidMappings", uid_mappings, ocispec_id_mapping),
  F_OBJS(ocispec_linux, "gidMappings", gid_mappings, ocispec_id_mapping),
  F_STRMAP(ocispec_linux, "sysctl", sysctl),
  F_OBJ(ocispec_linux, "resources", resources, ocispec_resources),
  F_STR(ocispec_linux, "cgroupsPath", cgroups_path),
  F_OBJS(ocispec_linux, "namespaces", namespaces, ocispec_namespace),
  F_OBJS(ocispec_linux, "devices", devices, ocispec_device),
  F_OBJMAP(ocispec_linux, "netDevices", net_devices, ocispec_net_device),
  F_OBJ(ocispec_linux, "seccomp", seccomp, ocispec_seccomp),
  F_STR(ocispec_linux, "rootfsPropagation", rootfs_propagation),
  F_STRS(ocispec_linux, "maskedPaths", masked_paths),
  F_STRS(ocispec_linux, "readonlyPaths", readonly_paths),
  F_STR(ocispec_linux, "mountLabel", mount_label),
  F_OBJ(ocispec_linux, "intelRdt", intel_rdt, ocispec_intel_rdt),
  F_OBJ(ocispec_linux, "memoryPolicy", memory_policy, ocispec_memory_policy),
  F_OBJ(ocispec_linux, "personality", personality, ocispec_personality),
  F_OBJMAP(ocispec_linux, "timeOffsets", time_offsets, ocispec_time_offset),
};
DEFINE_TYPE(static, ocispec_linux);

/* ---- config.json --------------------------------------------------------- */

static const field_desc ocispec_config_fields[] = {
  F_STR(ocispec_config, "ociVersion", oci_version),
  F_OBJ(ocispec_config, "process", process, ocispec_process),
  F_OBJ(ocispec_config, "root", root, ocispec_root),
  F_STR(ocispec_config, "hostname", hostname),
  F_STR(ocispec_config, "domainname", domainname),
  F_OBJS(ocispec_config, "mounts", mounts, ocispec_mount),
  F_OBJ(ocispec_config, "hooks", hooks, ocispec_hooks),
  F_STRMAP(ocispec_config, "annotations", annotations),
  F_OBJ(ocispec_config, "linux", linux, ocispec_linux),
};
DEFINE_TYPE(, ocispec_config);

/* ---- state --------------------------------------------------------------- */

static const field_desc ocispec_state_fields[] = {
  F_STR(ocispec_state, "ociVersion", oci_version),
  F_STR(ocispec_state, "id", id),
  F_STR(ocispec_state, "status", status),
  F_I32(ocispec_state, "pid", pid),
  F_STR(ocispec_state, "bundle", bundle),
  F_STRMAP(ocispec_state, "annotations", annotations),
};
DEFINE_TYPE(, ocispec_state);

/* ---- features ------------------------------------------------------------ */

static const field_desc ocispec_feature_enabled_fields[] = {
  F_BOOL(ocispec_feature_enabled, "enabled", enabled),
};
DEFINE_TYPE(static, ocispec_feature_enabled);

static const field_desc ocispec_features_cgroup_fields[] = {
  F_BOOL(ocispec_features_cgroup, "v1", v1),
  F_BOOL(ocispec_features_cgroup, "v2", v2),
  F_BOOL(ocispec_features_cgroup, "systemd", systemd),
  F_BOOL(ocispec_features_cgroup, "systemdUser", systemd_user),
  F_BOOL(ocispec_features_cgroup, "rdma", rdma),
};
DEFINE_TYPE(static, ocispec_features_cgroup);

static const field_desc ocispec_features_seccomp_fields[] = {
  F_BOOL(ocispec_features_seccomp, "enabled", enabled),
  F_STRS(ocispec_features_seccomp, "actions", actions),
  F_STRS(ocispec_features_seccomp, "operators", operators),
  F_STRS(ocispec_features_seccomp, "archs", archs),
  F_STRS(ocispec_features_seccomp, "knownFlags", known_flags),
  F_STRS(ocispec_features_seccomp, "supportedFlags", supported_flags),
};
DEFINE_TYPE(static, ocispec_features_seccomp);

static const field_desc ocispec_features_intel_rdt_fields[] = {
  F_BOOL(ocispec_features_intel_rdt, "enabled", enabled),
  F_BOOL(ocispec_features_intel_rdt, "schemata", schemata),
  F_BOOL(ocispec_features_intel_rdt, "monitoring", monitoring),
};
DEFINE_TYPE(static, ocispec_features_intel_rdt);

static const field_desc ocispec_features_mount_extensions_fields[] = {
  F_OBJ(ocispec_features_mount_extensions, "idmap", idmap, ocispec_feature_enabled),
};
DEFINE_TYPE(static, ocispec_features_mount_extensions);

static const field_desc ocispec_features_memory_policy_fields[] = {
  F_STRS(ocispec_features_memory_policy, "modes", modes),
  F_STRS(ocispec_features_memory_policy, "flags", flags),
};
DEFINE_TYPE(static, ocispec_features_memory_policy);

static const field_desc ocispec_features_linux_fields[] = {
  F_STRS(ocispec_features_linux, "namespaces", namespaces),
  F_STRS(ocispec_features_linux, "capabilities", capabilities),
  F_OBJ(ocispec_features_linux, "cgroup", cgroup, ocispec_features_cgroup),
  F_OBJ(ocispec_features_linux, "seccomp", seccomp, ocispec_features_seccomp),
  F_OBJ(ocispec_features_linux, "apparmor", apparmor, ocispec_feature_enabled),
  F_OBJ(ocispec_features_linux, "selinux", selinux, ocispec_feature_enabled),
  F_OBJ(ocispec_features_linux, "intelRdt", intel_rdt, ocispec_features_intel_rdt),
  F_OBJ(ocispec_features_linux, "memoryPolicy", memory_policy, ocispec_features_memory_policy),
  F_OBJ(ocispec_features_linux, "mountExtensions", mount_extensions, ocispec_features_mount_extensions),
  F_OBJ(ocispec_features_linux, "netDevices", net_devices, ocispec_feature_enabled),
};
DEFINE_TYPE(static, ocispec_features_linux);

static const field_desc ocispec_features_fields[] = {
  F_STR(ocispec_features, "ociVersionMin", oci_version_min),
  F_STR(ocispec_features, "ociVersionMax", oci_version_max),
  F_STRS(ocispec_features, "hooks", hooks),
  F_STRS(ocispec_features, "mountOptions", mount_options),
  F_OBJ(ocispec_features, "linux", linux, ocispec_features_linux),
  F_STRMAP(ocispec_features, "annotations", annotations),
  F_STRS(ocispec_features, "potentiallyUnsafeConfigAnnotations", potentially_unsafe_config_annotations),
};
DEFINE_TYPE(, ocispec_features);
