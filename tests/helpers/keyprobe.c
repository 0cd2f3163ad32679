/* SPDX-License-Identifier: GPL-2.0-or-later */
/* keyprobe.c - session keyrings seen from inside a container (static, so it
 * runs in a busybox rootfs). Used by tests/integration/isolation.bats.
 *
 *   keyprobe session                   print the serial of our session keyring
 *   keyprobe read SERIAL               print the payload of key SERIAL, or the error
 *   keyprobe with-secret PAYLOAD CMD... join a new session keyring, add a user key
 *                                      "uoci-test-secret" = PAYLOAD to it, print
 *                                      "serial N" on stderr, exec CMD with every
 *                                      argument "@SERIAL@" replaced by N */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define KEYCTL_GET_KEYRING_ID 0
#define KEYCTL_JOIN_SESSION_KEYRING 1
#define KEYCTL_READ 11
#define KEY_SPEC_SESSION_KEYRING -3

int main(int argc, char **argv)
{
  if (argc >= 2 && strcmp(argv[1], "session") == 0) {
    long id = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
    if (id < 0) {
      printf("error %s\n", strerror(errno));
      return 1;
    }
    printf("%ld\n", id);
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "read") == 0) {
    char buf[256];
    long n = syscall(SYS_keyctl, KEYCTL_READ, atol(argv[2]), buf, sizeof buf - 1);
    if (n < 0) {
      printf("error %s\n", strerror(errno));
      return 1;
    }
    buf[n < (long) sizeof buf ? n : (long) sizeof buf - 1] = '\0';
    printf("payload %s\n", buf);
    return 0;
  }
  if (argc >= 4 && strcmp(argv[1], "with-secret") == 0) {
    if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0) {
      perror("join session keyring");
      return 1;
    }
    long key = syscall(SYS_add_key, "user", "uoci-test-secret", argv[2], strlen(argv[2]), KEY_SPEC_SESSION_KEYRING);
    if (key < 0) {
      perror("add_key");
      return 1;
    }
    fprintf(stderr, "serial %ld\n", key);
    static char serial[32];
    snprintf(serial, sizeof serial, "%ld", key);
    for (int i = 3; i < argc; i++)
      if (strcmp(argv[i], "@SERIAL@") == 0)
        argv[i] = serial;
    execvp(argv[3], argv + 3);
    perror(argv[3]);
    return 127;
  }
  fprintf(stderr, "usage: keyprobe session | read SERIAL | with-secret PAYLOAD CMD...\n");
  return 2;
}
