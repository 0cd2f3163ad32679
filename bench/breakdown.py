#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""breakdown.py - where the time of `run /bin/true` goes, from ftrace text.

Usage: breakdown.py LABEL TRACE... (traces written by bench/breakdown.sh: the
syscalls, sched_switch/wakeup and process fork/exec/exit events of one
command's process tree each).

Each trace is one run. The root is the first process traced (the runtime, or
the floor); the "init" is the descendant that execs the container's command
(the last execve of the tree): its life before that execve is runtime code,
after it the container's process. Every other descendant is a "helper".
For each part: time on a CPU outside syscalls (user code and page faults),
in syscalls (by syscall), blocked (sleeping) and runnable but waiting for a
CPU; and the root's timeline: until the init exists, until its execve,
the container's process, after its exit. Medians over the runs.
"""
import collections
import re
import statistics
import sys

PARTS = ('runtime', 'rt:before init', 'rt:init works', 'rt:process runs', 'rt:after exit', 'init', 'process',
         'helper')
LINE = re.compile(r'^\s*(.+?)-(\d+)\s+\[(\d+)\]\s+\S+\s+([\d.]+):\s+(\w+):?\s*(.*)$')


class Proc:
    def __init__(self, pid):
        self.pid = pid
        self.execs = []          # (time, filename)
        self.sys = None          # syscall in progress
        self.on = None           # on a CPU since
        self.off = None          # off a CPU since
        self.off_state = None
        self.woken = None
        self.part_at = []        # (time, part): the part the time goes to from then on
        self.acc = collections.defaultdict(lambda: collections.Counter())

    def part(self, t):
        p = 'runtime'
        for at, name in self.part_at:
            if t >= at:
                p = name
        return p

    def add(self, kind, key, t0, t1):
        # split [t0, t1) at part boundaries
        bounds = [at for at, _ in self.part_at if t0 < at < t1]
        for a, b in zip([t0] + bounds, bounds + [t1]):
            self.acc[(self.part(a), kind)][key] += b - a


def parse(path):
    events = []
    for line in open(path, errors='replace'):
        m = LINE.match(line)
        if m:
            events.append((float(m.group(4)) * 1e6, int(m.group(2)), m.group(5), m.group(6)))
    return events


def analyse(path, tag=None):
    """One run: (root, init, procs, forks, start, end); tag(pid) gives a
    process's part_at list (default: all 'runtime')."""
    ev = parse(path)
    root = None
    procs = {}
    tree = set()
    t_start = t_end = None
    for t, pid, name, rest in ev:
        if name == 'sched_process_exec':
            root, t_start = pid, t
            break
    if root is None:
        return None
    tree.add(root)
    procs[root] = Proc(root)
    if tag:
        procs[root].part_at = tag(root)
    procs[root].on = t_start
    children = {}
    for t, pid, name, rest in ev:
        if t < t_start:
            continue
        if name == 'sched_process_fork':
            m = re.search(r'pid=(\d+) child_comm=\S* child_pid=(\d+)', rest)
            parent, child = int(m.group(1)), int(m.group(2))
            if parent in tree:
                tree.add(child)
                procs[child] = Proc(child)
                if tag:
                    procs[child].part_at = tag(child)
                children[child] = (parent, t)
            continue
        if name == 'sched_switch':
            m = re.search(r'prev_pid=(\d+) .*prev_state=(\S+) ==> next_comm=.* next_pid=(\d+)', rest)
            a, state, b = int(m.group(1)), m.group(2), int(m.group(3))
            if a in tree and procs[a].on is not None:
                p = procs[a]
                p.add('cpu', p.sys or '(user)', p.on, t)
                p.on, p.off, p.off_state = None, t, state
            if b in tree:
                p = procs[b]
                key = p.sys or '(user)'
                if p.off is not None:
                    if p.off_state.startswith('R') or p.woken is None or p.woken < p.off:
                        kind = 'runq' if p.off_state.startswith('R') else 'blocked'
                        p.add(kind, key, p.off, t)
                    else:
                        p.add('blocked', key, p.off, p.woken)
                        p.add('runq', key, p.woken, t)
                elif p.woken is not None:
                    p.add('runq', '(new)', p.woken, t)
                p.on, p.off, p.woken = t, None, None
            continue
        if name in ('sched_wakeup', 'sched_wakeup_new'):
            m = re.search(r'pid=(\d+)', rest)
            q = int(m.group(1))
            if q in tree:
                procs[q].woken = t
            continue
        if pid not in tree:
            continue
        p = procs[pid]
        if p.on is None and p.off is None:
            p.on = t  # first sight of a new child on a CPU
        if name == 'sched_process_exec':
            p.execs.append((t, rest.split()[0].split('=', 1)[-1]))
            continue
        if name == 'sched_process_exit':
            if p.on is not None:
                p.add('cpu', p.sys or '(user)', p.on, t)
                p.on = None
            p.exit = t
            if pid == root:
                t_end = t
            continue
        if name.startswith('sys_'):
            if p.on is not None:
                p.add('cpu', p.sys or '(user)', p.on, t)
                p.on = t
            if rest.startswith('->'):
                p.sys = None
            else:
                p.sys = name[4:]
                p.acc[(p.part(t), 'calls')][p.sys] += 1
    if t_end is None:
        return None
    # the init: the process of the tree whose execve comes last
    init = None
    for pid, p in procs.items():
        if pid != root and p.execs and (init is None or p.execs[-1][0] > procs[init].execs[-1][0]):
            init = pid
    return root, init, procs, children, t_start, t_end


def main():
    label, paths = sys.argv[1], sys.argv[2:]
    runs = []
    for path in paths:
        r = analyse(path)
        if r is None:
            print(f'{path}: no complete run in the trace', file=sys.stderr)
            continue
        root, init, procs, children, t0, t1 = r
        if init is not None:
            # again, now that the parts are known
            execd = procs[init].execs[-1][0]
            forked = children[init][1]
            exited = getattr(procs[init], 'exit', t1)
            # the runtime's time by what the init is doing meanwhile
            parts = {root: [(0, 'rt:before init'), (forked, 'rt:init works'), (execd, 'rt:process runs'),
                            (exited, 'rt:after exit')],
                     init: [(0, 'init'), (execd, 'process')]}
            r = analyse(path, lambda pid: parts.get(pid, [(0, 'helper')]))
            root, init, procs, children, t0, t1 = r
        runs.append((root, init, procs, children, t0, t1))
    if not runs:
        sys.exit(1)
    timeline = collections.defaultdict(list)
    totals = collections.defaultdict(lambda: collections.defaultdict(list))
    syscalls = collections.defaultdict(lambda: collections.defaultdict(list))
    calls = collections.defaultdict(lambda: collections.defaultdict(list))
    waits = collections.defaultdict(lambda: collections.defaultdict(list))
    nproc = []
    for root, init, procs, children, t0, t1 in runs:
        timeline['wall'].append(t1 - t0)
        nproc.append(len(procs))
        if init is not None:
            forked = children[init][1]
            execd = procs[init].execs[-1][0]
            exited = getattr(procs[init], 'exit', t1)
            timeline['until the init exists'].append(forked - t0)
            timeline['init: until its execve'].append(execd - forked)
            timeline['the process (execve to exit)'].append(exited - execd)
            timeline['after the process exited'].append(t1 - exited)
        per = collections.defaultdict(lambda: collections.Counter())
        sc = collections.defaultdict(lambda: collections.Counter())
        cc = collections.defaultdict(lambda: collections.Counter())
        wait = collections.defaultdict(lambda: collections.Counter())
        for p in procs.values():
            for (part, kind), c in p.acc.items():
                if kind == 'calls':
                    for k, v in c.items():
                        cc[part][k] += v
                    continue
                for k, v in c.items():
                    if kind == 'cpu':
                        per[part]['user' if k == '(user)' else 'sys'] += v
                        if k != '(user)':
                            sc[part][k] += v
                    else:
                        per[part][kind] += v
                        wait[part][f'{kind}:{k}'] += v
        for part in PARTS:
            for kind in ('user', 'sys', 'blocked', 'runq'):
                totals[part][kind].append(per[part][kind])
            totals[part]['calls'].append(sum(cc[part].values()))
            for k in wait[part]:
                waits[part][k].append(wait[part][k])
            for k in set(sc[part]) | set(cc[part]):
                syscalls[part][k].append(sc[part][k])
                calls[part][k].append(cc[part][k])
    n = len(runs)
    med = lambda xs: statistics.median(xs + [0] * (n - len(xs)))
    print(f'== {label}: {n} runs, medians in ms (processes in the tree: {statistics.median(nproc):.0f})')
    for k in ('wall', 'until the init exists', 'init: until its execve', 'the process (execve to exit)',
              'after the process exited'):
        if timeline[k]:
            print(f'  {k:32s} {med(timeline[k]) / 1000:7.3f}')
    print(f'  {"part":16s} {"on CPU user":>12s} {"in syscalls":>12s} {"syscalls":>9s} {"blocked":>9s} {"runnable":>9s}')
    for part in PARTS:
        t = totals[part]
        if not any(med(t[k]) for k in ('user', 'sys', 'blocked', 'runq')):
            continue
        print(f'  {part:16s} {med(t["user"]) / 1000:12.3f} {med(t["sys"]) / 1000:12.3f} {med(t["calls"]):9.0f} '
              f'{med(t["blocked"]) / 1000:9.3f} {med(t["runq"]) / 1000:9.3f}')
    for part in PARTS:
        if part == 'process':
            continue
        top = sorted(syscalls[part].items(), key=lambda kv: -med(kv[1]))[:12]
        if not top:
            continue
        print(f'  {part} syscalls by time on CPU (us, count): ' +
              ', '.join(f'{k} {med(v):.0f} x{med(calls[part][k]):.0f}' for k, v in top if med(v) > 0))
        top = sorted(waits[part].items(), key=lambda kv: -med(kv[1]))[:6]
        if top and med(top[0][1]) >= 20:
            print(f'  {part} off CPU in (us): ' + ', '.join(f'{k} {med(v):.0f}' for k, v in top if med(v) >= 20))


if __name__ == '__main__':
    main()
