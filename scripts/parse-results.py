#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# parse-results.py DIR LABEL
#
# Judge one kchan VM run from DIR/result.txt (the result serial port written
# by vm-init.sh) and DIR/console.log. Prints one line per suite, e.g.
#   "  PASS  6.1/ctl_create  (12 ok, 0 not ok, 1 skip)",
# with the reasons under each failure; writes DIR/counts ("passed N",
# "failed N", "skipped N": TAP/KTAP leaf results, one case per suite without
# TAP, plus the pseudo-suites LABEL/kernel-log and LABEL/vm); exits 1 when
# anything failed.
#
# A suite fails when its exit code is neither 0 nor 77 (skip), when a
# "not ok" result appears at depth 0 or as a leaf (KTAP nests subtests by
# four spaces of indentation; a result is a leaf when no deeper result
# precedes it), when a depth-0 plan does not match the results, or when its
# end marker never came (crash or timeout). The kernel log (the dmesg block
# and console.log) must hold no warning, oops, sanitizer, lockdep, hung task
# or leak report.

import os
import re
import sys

BEGIN_RE = re.compile(r'^kchan-suite-begin (\S+)\s*$')
END_RE = re.compile(r'^kchan-suite-end (\S+) exit=(-?\d+)\s*$')
RESULT_RE = re.compile(r'^(not ok|ok)\b(?:\s+(\d+))?(?:\s*-)?\s*([^#]*?)\s*(?:#\s*(.*))?$')
PLAN_RE = re.compile(r'^1\.\.(\d+)\b')
VERSION_RE = re.compile(r'^(KTAP|TAP) version \d+')
TOTALS_RE = re.compile(r'^# Totals: pass:(\d+) fail:(\d+) skip:(\d+)')
TIMESTAMP_RE = re.compile(r'^(<\d+>)?\[\s*\d+\.\d+\]\s?(\[\s*[CT]\d+\]\s?)?')

KERNEL_COMPLAINTS = [re.compile(p) for p in (
    r'BUG:',
    r'WARNING:',
    r'KASAN',
    r'UBSAN',
    r'possible recursive locking',
    r'circular locking',
    r'inconsistent lock state',
    r'lockdep',
    r'unreferenced object',
    r'Call Trace',
    r'general protection',
    r'Oops',
    r'INFO: task .* blocked',
    r'sleeping function called from invalid context',
    r'(?i)kernel panic',
    r'detected stalls',
    r'Unable to handle',
)]
HARMLESS = [re.compile(p) for p in (
    r'loading out-of-tree module taints kernel',
    r'module verification failed',
    r'RCU lockdep checking is enabled',
)]

# Blocks that are data for the harness rather than test suites.
DATA_BLOCKS = ('dmesg',)


class Suite:
    def __init__(self, name):
        self.name = name
        self.lines = []
        self.exit = None
        self.ended = False


def read_text(path):
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError:
        return None
    text = data.decode('utf-8', errors='replace')
    return text.replace('\r\n', '\n').replace('\r', '\n')


def read_blocks(text):
    suites = []
    done = False
    cur = None
    for line in text.split('\n'):
        m = BEGIN_RE.match(line)
        if m:
            if cur is not None:
                suites.append(cur)
            cur = Suite(m.group(1))
            continue
        m = END_RE.match(line)
        if m and cur is not None and m.group(1) == cur.name:
            cur.exit = int(m.group(2))
            cur.ended = True
            suites.append(cur)
            cur = None
            continue
        if line.strip() == 'kchan-vm-done' and cur is None:
            done = True
            continue
        if cur is not None:
            cur.lines.append(line)
    if cur is not None:
        suites.append(cur)
    return suites, done


def depth_of(line):
    expanded = line.expandtabs(4)
    return (len(expanded) - len(expanded.lstrip(' '))) // 4


def new_doc():
    return {'plan': None, 'top': 0, 'ok': 0, 'not_ok': 0, 'skip': 0,
            'totals': None}


def parse_tap(lines):
    """Return (any result, ok, not ok, skip, failing lines, problems).

    Counts are leaf results per TAP/KTAP document, except that a document
    carrying KUnit's "# Totals:" line is counted from it: 6.1's debugfs
    results keep only the last parameter of a parameterised case.
    """
    failing = []
    problems = []
    child_seen = {}
    docs = []
    any_result = False

    def doc():
        if not docs:
            docs.append(new_doc())
        return docs[-1]

    for raw in lines:
        depth = depth_of(raw)
        line = raw.strip()
        if depth == 0 and VERSION_RE.match(line):
            docs.append(new_doc())
            child_seen = {}
            continue
        if depth == 0:
            m = PLAN_RE.match(line)
            if m:
                if docs and docs[-1]['plan'] is not None:
                    docs.append(new_doc())
                doc()['plan'] = int(m.group(1))
                continue
            m = TOTALS_RE.match(line)
            if m:
                doc()['totals'] = tuple(int(x) for x in m.groups())
                continue
        m = RESULT_RE.match(line)
        if not m:
            continue
        any_result = True
        passed = m.group(1) == 'ok'
        directive = (m.group(4) or '').strip().upper()
        skipped = directive.startswith('SKIP')
        todo = directive.startswith('TODO')
        leaf = not child_seen.get(depth + 1, False)
        for d in list(child_seen):
            if d > depth:
                del child_seen[d]
        child_seen[depth] = True
        cur = doc()
        if depth == 0:
            cur['top'] += 1
        if leaf:
            if skipped or todo:
                cur['skip'] += 1
            elif passed:
                cur['ok'] += 1
            else:
                cur['not_ok'] += 1
        if not passed and not skipped and not todo and (leaf or depth == 0):
            failing.append(raw.rstrip())

    ok = not_ok = skip = 0
    for d in docs:
        if d['plan'] is not None and d['plan'] != d['top']:
            problems.append('planned %d tests, saw %d results' %
                            (d['plan'], d['top']))
        if d['totals'] is not None:
            t_pass, t_fail, t_skip = d['totals']
            ok += t_pass
            not_ok += t_fail
            skip += t_skip
            if t_fail and not failing:
                problems.append('KUnit totals report %d failure(s)' % t_fail)
        else:
            ok += d['ok']
            not_ok += d['not_ok']
            skip += d['skip']
    return any_result, ok, not_ok, skip, failing, problems


def scan_kernel_log(text, where, seen, found):
    for raw in text.split('\n'):
        line = raw.rstrip()
        if not line:
            continue
        if any(p.search(line) for p in HARMLESS):
            continue
        if not any(p.search(line) for p in KERNEL_COMPLAINTS):
            continue
        key = TIMESTAMP_RE.sub('', line).strip()
        if key in seen:
            continue
        seen.add(key)
        found.append('%s: %s' % (where, line))


def show(lines, limit=25, indent='        '):
    for line in lines[:limit]:
        print(indent + line)
    if len(lines) > limit:
        print('%s... (%d more lines)' % (indent, len(lines) - limit))


def main():
    if len(sys.argv) != 3:
        sys.stderr.write('usage: parse-results.py DIR LABEL\n')
        return 2
    out_dir, label = sys.argv[1], sys.argv[2]
    result_text = read_text(os.path.join(out_dir, 'result.txt'))
    console_text = read_text(os.path.join(out_dir, 'console.log')) or ''
    if result_text is None:
        result_text = ''
    suites, done = read_blocks(result_text)

    passed = failed = skipped = 0
    dmesg_lines = []
    for s in suites:
        if s.name in DATA_BLOCKS:
            dmesg_lines.extend(s.lines)
            continue
        title = '%s/%s' % (label, s.name)
        reasons = []
        any_result, ok, not_ok, skip, failing, problems = parse_tap(s.lines)
        if not s.ended:
            reasons.append('no end marker: the VM crashed or timed out in this suite')
        elif s.exit == 77:
            pass
        elif s.exit in (124, 137, 143):
            reasons.append('exit code %d (killed: over the per-test timeout?)'
                           % s.exit)
        elif s.exit != 0:
            reasons.append('exit code %d' % s.exit)
        reasons.extend(problems)
        if failing:
            reasons.append('%d failing result(s)' % len(failing))
        if reasons:
            verdict = 'FAIL'
        elif s.exit == 77:
            verdict = 'SKIP'
        else:
            verdict = 'PASS'

        if any_result:
            passed += ok
            failed += not_ok
            skipped += skip
            if verdict == 'FAIL' and not_ok == 0:
                failed += 1
            print('  %s  %s  (%d ok, %d not ok, %d skip)' %
                  (verdict, title, ok, not_ok, skip))
        else:
            if verdict == 'PASS':
                passed += 1
            elif verdict == 'FAIL':
                failed += 1
            else:
                skipped += 1
            print('  %s  %s' % (verdict, title))
        if verdict == 'FAIL':
            show(['- ' + r for r in reasons], indent='        ')
            if failing:
                show(failing)
            elif not any_result:
                show([l for l in s.lines if l.strip()])
            else:
                tail = [l for l in s.lines if l.strip()][-10:]
                show(tail)

    complaints = []
    seen = set()
    scan_kernel_log('\n'.join(dmesg_lines), 'dmesg', seen, complaints)
    scan_kernel_log(console_text, 'console', seen, complaints)
    if complaints:
        failed += 1
        print('  FAIL  %s/kernel-log  (%d suspicious line(s))' %
              (label, len(complaints)))
        show(complaints, limit=40)
    else:
        passed += 1
        print('  PASS  %s/kernel-log' % label)

    if done:
        passed += 1
        print('  PASS  %s/vm' % label)
    else:
        failed += 1
        why = 'no kchan-vm-done on the result port'
        if os.path.exists(os.path.join(out_dir, 'timed-out')):
            why += ' (timed out)'
        elif not result_text.strip():
            why += ' (nothing at all was reported)'
        print('  FAIL  %s/vm  (%s)' % (label, why))
        tail = [l for l in console_text.split('\n') if l.strip()][-12:]
        if tail:
            print('        last console lines:')
            show(tail, limit=12, indent='          ')

    with open(os.path.join(out_dir, 'counts'), 'w') as f:
        f.write('passed %d\nfailed %d\nskipped %d\n' % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
