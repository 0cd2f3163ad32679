/* SPDX-License-Identifier: GPL-2.0-or-later */
/* keyring.h - the container's session keyring.
 *
 * The init joins a new session keyring, so that nothing of the caller's
 * session keyring (the engine's keys) is reachable from the container; every
 * process `exec` starts joins that same keyring, as runc does. The keyring
 * is found again by name, so the name is not guessable ("_ses.<id>.<128
 * random bits>", kept in the state), and only its possessors may view it:
 * other processes of the same uid may only search for it, which needs the
 * name. */
#ifndef UOCI_KEYRING_H
#define UOCI_KEYRING_H

#include <stdbool.h>
#include "error.h"

/* Parent: a fresh name for container `id`. malloc'd. */
char *keyring_new_name(const char *id);

/* Init, in the container's user namespace: join a new session keyring of
 * that name. own_userns: the exec'd processes reach it as "other", not as
 * its owner. Kernels without keyrings: nothing to do. */
int keyring_create(const char *name, bool own_userns, uoci_error **err);

/* exec's child, in the container's user namespace: join the container's
 * keyring. */
int keyring_join(const char *name, uoci_error **err);

#endif
