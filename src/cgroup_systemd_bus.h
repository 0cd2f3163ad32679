/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup_systemd_bus.h - the D-Bus side of cgroup_systemd.c, shared with its
 * unit test (tests/unit/test_cgroup_systemd.c): the sd-bus functions it
 * calls (the runtime dlopen()s libsystemd, the test links it) and the two
 * messages whose content is pure logic. Not for any other file. */
#ifndef UOCI_CGROUP_SYSTEMD_BUS_H
#define UOCI_CGROUP_SYSTEMD_BUS_H

#include <systemd/sd-bus.h>
#include "cgroup_util.h"

#define CG_SDBUS_FUNCTIONS(X)                                                                           \
  X(sd_bus_open_system) X(sd_bus_flush_close_unref) X(sd_bus_message_new_method_call)                 \
  X(sd_bus_message_append) X(sd_bus_message_append_array) X(sd_bus_message_open_container)            \
  X(sd_bus_message_close_container) X(sd_bus_message_read) X(sd_bus_message_unref) X(sd_bus_call)     \
  X(sd_bus_call_method) X(sd_bus_get_property_string) X(sd_bus_error_free) X(sd_bus_error_has_name)   \
  X(sd_bus_match_signal) X(sd_bus_slot_unref) X(sd_bus_process) X(sd_bus_wait)

/* One pointer per function, with the prototype of <systemd/sd-bus.h>. */
struct cg_sdbus {
  void *lib;
#define CG_SDBUS_FIELD(f) __typeof__(f) *f;
  CG_SDBUS_FUNCTIONS(CG_SDBUS_FIELD)
#undef CG_SDBUS_FIELD
};

/* systemd versions that added the properties we may send. */
#define SD_VERSION_CPU_QUOTA_PERIOD 242 /* CPUQuotaPeriodUSec */
#define SD_VERSION_ALLOWED_CPUS 244     /* AllowedCPUs, AllowedMemoryNodes */
#define SD_VERSION_CPU_IDLE 252         /* CPUWeight=0 (cpu.idle) */

/* Does converting r need systemd's version (a property newer than v240)? */
bool cg_systemd_needs_version(const ocispec_resources *r);

/* StartTransientUnit(cg->unit, "fail", properties, []) putting pid into a
 * scope of cg->slice with Delegate=yes and r's resources (see
 * cg_systemd_set_message); `version` is systemd's (0: unknown, then only the
 * properties every supported systemd has are sent). */
int cg_systemd_start_message(const struct cg_sdbus *api, sd_bus *bus, const uoci_cgroup *cg, pid_t pid,
                             const ocispec_resources *r, unsigned version, sd_bus_message **out,
                             uoci_error **err);

/* SetUnitProperties(cg->unit, runtime=true, properties of r): what systemd
 * rewrites on its own (daemon-reload, another unit's change) must be what
 * the container asked for: memory (MemoryMax/Low/SwapMax/High/Min), TasksMax,
 * CPUWeight (or CPUShares on v1), CPUQuota*, AllowedCPUs/MemoryNodes,
 * IOWeight (BlockIOWeight on v1), and the unified keys with such a property.
 * The rest has no property and is only written to the cgroup files. A value
 * that cannot be converted is an error naming its JSON path. */
int cg_systemd_set_message(const struct cg_sdbus *api, sd_bus *bus, const uoci_cgroup *cg,
                           const ocispec_resources *r, unsigned version, sd_bus_message **out,
                           uoci_error **err);

#endif
