# SPDX-License-Identifier: GPL-2.0-or-later
# rootless-helpers.bash - a real unprivileged user for the rootless tests
# (rootless.bats, cgroup-rootless.bats): made by the file's setup_file with
# subuid/subgid ranges, removed with its processes by teardown_file. The
# loading file sets RL_USER first (one name per file).
#
#   rl_user_create / rl_user_remove   setup_file / teardown_file
#   rl_setup / rl_teardown            setup / teardown: $BUNDLE (the user's), $c1
#   as_user CMD...                    CMD as the user: HOME, XDG_RUNTIME_DIR ($RL_RUN), USER
#   rl_bundle CMD...                  a `spec --rootless` config in $BUNDLE running CMD
#   rl_cfg 'JQ FILTER'                edit $BUNDLE/config.json as the user

as_user() {
  setpriv --reuid="$RL_USER" --regid="$RL_USER" --init-groups \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$RL_HOME" USER="$RL_USER" LOGNAME="$RL_USER" \
    XDG_RUNTIME_DIR="$RL_RUN" TMPDIR="$RL_HOME/tmp" "$@"
}

# A free subordinate id range: above every range /etc/subuid and /etc/subgid hold.
free_subid_start() {
  cat /etc/subuid /etc/subgid 2>/dev/null | awk -F: 'BEGIN {m = 100000} $2 + $3 > m {m = $2 + $3} END {print m}'
}

# Processes of the test user, by pid (ours to end: the user is this file's).
kill_user_processes() {
  local uid pid
  uid=$(id -u "$RL_USER" 2>/dev/null) || return 0
  for pid in $(pgrep -U "$uid" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
  for _ in $(seq 100); do pgrep -U "$uid" >/dev/null || return 0; sleep 0.05; done
}

rl_user_create() {
  # A user left by an interrupted run goes first, with its processes.
  if id "$RL_USER" >/dev/null 2>&1; then
    kill_user_processes
    userdel "$RL_USER" 2>/dev/null || true
  fi
  export RL_TMP
  RL_TMP=$(mktemp -d /tmp/uoci-rootless.XXXXXX)
  chmod 755 "$RL_TMP"
  export RL_HOME=$RL_TMP/home RL_RUN=$RL_TMP/run
  useradd --no-create-home --home-dir "$RL_HOME" --shell /usr/sbin/nologin "$RL_USER"
  if ! grep -q "^$RL_USER:" /etc/subuid || ! grep -q "^$RL_USER:" /etc/subgid; then
    local start
    start=$(free_subid_start)
    usermod --add-subuids "$start-$((start + 65535))" --add-subgids "$start-$((start + 65535))" "$RL_USER"
  fi
  mkdir -p "$RL_HOME/tmp" "$RL_RUN"
  chown -R "$RL_USER:$RL_USER" "$RL_HOME" "$RL_RUN"
  chmod 700 "$RL_RUN"
  export RL_UID
  RL_UID=$(id -u "$RL_USER")
}

rl_user_remove() {
  [ -n "${RL_TMP:-}" ] || return 0
  kill_user_processes
  userdel "$RL_USER" 2>/dev/null
  rm -rf "$RL_TMP" "/tmp/ulysses-oci-$RL_UID"
}

rl_setup() {
  TEST_TMP=$RL_TMP/t$BATS_TEST_NUMBER
  BUNDLE=$TEST_TMP/bundle
  mkdir -p "$BUNDLE"
  chmod 755 "$TEST_TMP"
  rootfs_template
  cp -a "$ROOTFS_CACHE" "$BUNDLE/rootfs"
  chown -R "$RL_USER:$RL_USER" "$BUNDLE"
  c1=rl-$$-$BATS_TEST_NUMBER
}

rl_teardown() {
  local id
  for id in $(as_user "$UOCI" list -q 2>/dev/null); do as_user "$UOCI" delete -f "$id" >/dev/null 2>&1 || true; done
  rm -rf "$TEST_TMP"
}

rl_cfg() {
  as_user sh -c "jq '$1' '$BUNDLE/config.json' >'$BUNDLE/c.json' && mv '$BUNDLE/c.json' '$BUNDLE/config.json'"
}

rl_bundle() {
  as_user "$UOCI" spec --rootless --bundle "$BUNDLE"
  rl_cfg ".process.terminal = false | .process.args = $(jq -cn '$ARGS.positional' --args -- "$@")"
}

cgroup_v1_host() {
  [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]
}
