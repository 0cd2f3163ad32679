/* SPDX-License-Identifier: GPL-2.0-or-later */
/* seccomp_lib.h - libseccomp's <seccomp.h>, whose name our own src/seccomp.h
 * shadows on the include path (-I src). Include this header with angle
 * brackets so that it is found through the -I chain: #include_next then
 * continues the search after src/ and reaches the system header. */
#ifndef UOCI_SECCOMP_LIB_H
#define UOCI_SECCOMP_LIB_H
#pragma GCC system_header
#include_next <seccomp.h>
#endif
