#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# lint-bats.py - find checks in the bats suites that can never fail a test.
#
# bats runs tests under `set -e`, and errexit ignores a failure anywhere in an
# && list except its last command, and ignores a negated pipeline entirely.
# So a line `[ A ] && [ B ]` passes when A is false, and `! cmd` passes when
# cmd succeeds (unless it is a function's last command, whose status is the
# function's). This lint flags, in @test bodies and in functions (except their
# last command):
#   - a command list whose last operator is && with a check ([, [[, test, grep,
#     jq -e, assert_*/expect_*/store_has helpers,
#     !, cmp, diff, ((...)) before it and a check after it (two checks joined;
#     write them on two lines). `cond && action` (action not a check) is fine.
#   - a list ending in `! cmd` (errexit ignores an inverted status even
#     there): write `! cmd || false`.
# A line can be exempted with a trailing `# lint-bats: ok (why)`.
# Usage: lint-bats.py FILE...   prints TAP: one test per file.
import re
import sys

CHECK = re.compile(r'^(\[\[?\s|test\s|grep\s|!\s|cmp\s|diff\s|\(\()')
# a check: a test command, grep, jq -e, a pipeline into one, or an assert_/
# expect_/store_has helper of ours
def is_check(e):
    return bool(CHECK.match(e) or re.search(r'(^|\|\s*)(jq -e|grep)\s', e) or
                re.match(r'(assert_\w+|expect_\w+|store_has)(\s|$)', e))


CONDS = ('if ', 'elif ', 'while ', 'until ', 'then', 'else', 'do', 'done', 'fi',
         'esac', 'for ', 'case ')


def logical_lines(text):
    """Yield (lineno, line) with continuations, open quotes and open
    parentheses joined, and heredoc bodies dropped."""
    lines = text.split('\n')
    i = 0
    while i < len(lines):
        start = i
        buf = lines[i]
        i += 1
        while True:
            open_ = unbalanced(buf)
            if (buf.endswith('\\') or open_) and i < len(lines):
                buf = (buf[:-1] if buf.endswith('\\') else buf + '\n') + lines[i]
                i += 1
                continue
            break
        m = re.search(r'<<-?\s*[\'"]?([A-Za-z_]\w*)[\'"]?', buf)
        if m and not re.search(r'<<<', buf):
            term = m.group(1)
            while i < len(lines) and lines[i].strip() != term:
                i += 1
            i += 1
        yield start + 1, buf


def scan(s):
    """Walk s; yield (index, char, depth) for characters outside quotes, with
    depth counting (, $(, [[ and same-line { } groups."""
    depth = 0
    q = None
    k = 0
    n = len(s)
    while k < n:
        c = s[k]
        if q == "'":
            if c == "'":
                q = None
            k += 1
            continue
        if c == '\\':
            k += 2
            continue
        if q == '"':
            if c == '"':
                q = None
            elif c == '$' and k + 1 < n and s[k + 1] == '(':
                pass
            k += 1
            continue
        if c in '\'"':
            q = c
            k += 1
            continue
        if c == '#' and (k == 0 or s[k - 1] in ' \t;'):
            return
        if c == '(' or (c == '[' and s[k:k + 2] == '[[' and (k == 0 or s[k - 1] in ' \t!')):
            depth += 1
            k += 2 if c == '[' else 1
            continue
        if c == ')' or (c == ']' and s[k:k + 2] == ']]' and s[k - 1:k] in (' ', '\t') and s[k + 2:k + 3] in ('', ' ', '\t', ';', '\n')):
            depth -= 1
            k += 2 if c == ']' else 1
            continue
        yield k, c, depth
        k += 1


def unbalanced(s):
    depth = 0
    q = None
    k = 0
    while k < len(s):
        c = s[k]
        if q == "'":
            if c == "'":
                q = None
        elif c == '\\':
            k += 1
        elif q == '"':
            if c == '"':
                q = None
        elif c in '\'"':
            q = c
        elif c == '#' and (k == 0 or s[k - 1] in ' \t;'):
            break
        elif c == '(':
            depth += 1
        elif c == ')':
            depth -= 1
        k += 1
    return q is not None or depth > 0


def segments(line):
    """Split a logical line at top-level ; and newlines into command lists;
    each list is returned as [(op, element)] with op '' for the first."""
    out = []
    cur = []
    elem_start = 0
    op = ''
    braces = 0
    prev = -2
    s = line
    for k, c, depth in scan(s):
        if depth:
            continue
        if c == '{' and (k == 0 or s[k - 1] in ' \t') and '}' in s[k:]:
            braces += 1
            continue
        if c == '}' and braces:
            braces -= 1
            continue
        if braces:
            continue
        if c in ';\n' or (c == '&' and s[k:k + 2] != '&&' and prev != k - 1):
            cur.append((op, s[elem_start:k].strip()))
            out.append(cur)
            cur, op, elem_start = [], '', k + 1
            continue
        if s[k:k + 2] in ('&&', '||') and prev != k - 1:
            cur.append((op, s[elem_start:k].strip()))
            op = s[k:k + 2]
            elem_start = k + 2
            prev = k
            continue
    cur.append((op, s[elem_start:].split(' #')[0].strip() if '#' in s[elem_start:] else s[elem_start:].strip()))
    out.append(cur)
    return [[(o, e) for o, e in lst if e or o] for lst in out if any(e for _, e in lst)]


def problems(lst):
    elems = [e for _, e in lst]
    ops = [o for o, _ in lst][1:]
    first = re.sub(r'^(then|do|else)\s+', '', elems[0])
    elems[0] = first
    if first.startswith(CONDS) or first in ('{', '}'):
        return None
    if elems[-1].startswith('! '):
        return 'negated command ignored by errexit: add "|| false"'
    if ops and ops[-1] == '&&':
        before = elems[:-1]
        if is_check(elems[-1]) and any(is_check(e) for e in before):
            return 'check before && ignored by errexit: one check per line'
    return None


def lint(path):
    text = open(path, encoding='utf-8').read()
    found = []
    ctx = None   # None (top level), 'test' or 'func'
    body = []    # (lineno, line, problem) of the current function
    for lineno, line in logical_lines(text):
        st = line.strip()
        if ctx is None:
            if re.match(r'@test\s', st) and st.endswith('{'):
                ctx, body = 'test', []
            elif re.match(r'(function\s+)?[\w:.-]+\s*\(\)\s*\{\s*$', st) or \
                    re.match(r'function\s+[\w:.-]+\s*\{\s*$', st):
                ctx, body = 'func', []
            continue
        if line.startswith('}'):
            if ctx == 'func' and body:
                # a function's last command gives its status
                while body and body[-1][2] is None:
                    body.pop()
                if body and body[-1][0] == last_cmd:
                    body.pop()
            found += [(n, l, p + (' (in a function)' if ctx == 'func' else '')) for n, l, p in body if p]
            ctx = None
            continue
        if not st or st.startswith('#'):
            continue
        last_cmd = lineno
        if 'lint-bats: ok' in line:
            continue
        for lst in segments(line):
            p = problems(lst)
            body.append((lineno, st, p))
    return found


def main(argv):
    print('1..%d' % len(argv))
    bad = 0
    for i, path in enumerate(argv, 1):
        found = lint(path)
        if found:
            bad += 1
            print('not ok %d - %s' % (i, path))
            for n, l, p in found:
                print('# %s:%d: %s: %s' % (path, n, p, l.split('\n')[0][:120]))
        else:
            print('ok %d - %s' % (i, path))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
