/* lsm.h - AppArmor profiles and SELinux labels (process.apparmorProfile,
 * process.selinuxLabel, linux.mountLabel). Applied when the host has the LSM;
 * asking for one the host cannot give is an error, never silently ignored. */
#ifndef UOCI_LSM_H
#define UOCI_LSM_H

#include <stdbool.h>
#include "error.h"
#include "ocispec.h"

bool lsm_apparmor_enabled(void);
bool lsm_selinux_enabled(void);

/* Parent: refuse labels the host cannot apply. */
int lsm_check(const ocispec_process *p, const ocispec_linux *linux, uoci_error **err);

/* Child, just before execve: the profile/label the new program runs with. */
int lsm_apply_exec_labels(const ocispec_process *p, uoci_error **err);

#endif
