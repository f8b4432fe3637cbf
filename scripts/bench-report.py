#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# bench-report.py --result DIR/result.txt --markdown OUT.md [--json-out F]
#                 [--qemu VERSION] [--qemu-args ARGS] [--module DESC]
#                 [--vm-seconds N] [--args=CHANBENCH_ARGS] [--date D]
#                 [--load-start L] [--load-end L]
#
# Turn one `make bench` VM run into its report. Reads the bench block of
# the result serial port (between "kchan-suite-begin bench" and
# "kchan-suite-end bench exit=N", written by vm-init.sh: chanbench's JSON
# report), writes it out as JSON (--json-out) and as markdown: the
# environment, one table per scenario with the chan/peer ratios, and the
# project's performance goals, met or missed. Prints the goals on stdout.
# Exits 0 when chanbench ran to its end and exited 0; 1 otherwise (the
# markdown is still written when there is a report to write).

import argparse
import datetime
import json
import os
import platform
import re
import sys

BEGIN_RE = re.compile(r'^kchan-suite-begin (\S+)\s*$')
END_RE = re.compile(r'^kchan-suite-end (\S+) exit=(-?\d+)\s*$')
# What scripts/parse-results.py calls a kernel complaint, in short.
KERNEL_COMPLAINTS = [re.compile(p) for p in (
    r'BUG:', r'WARNING:', r'Oops', r'Call Trace', r'general protection',
    r'INFO: task .* blocked', r'(?i)kernel panic', r'detected stalls',
    r'KASAN', r'UBSAN', r'lockdep')]


def read_blocks(path):
    """Return {block name: (lines, exit code or None)} of the result port."""
    try:
        with open(path, 'rb') as f:
            text = f.read().decode('utf-8', errors='replace')
    except OSError as e:
        sys.exit('bench-report: cannot read %s: %s' % (path, e))
    blocks = {}
    cur = None
    for line in text.replace('\r\n', '\n').replace('\r', '\n').split('\n'):
        m = BEGIN_RE.match(line)
        if m:
            cur = m.group(1)
            blocks[cur] = ([], None)
            continue
        m = END_RE.match(line)
        if m and m.group(1) in blocks:
            blocks[m.group(1)] = (blocks[m.group(1)][0], int(m.group(2)))
            cur = None
            continue
        if cur is not None:
            blocks[cur][0].append(line)
    return blocks


def kernel_complaints(lines):
    return [l for l in lines if any(p.search(l) for p in KERNEL_COMPLAINTS)]


def rate(v):
    if v >= 1e6:
        return '%.2fM' % (v / 1e6)
    if v >= 1e3:
        return '%.1fk' % (v / 1e3)
    return '%.0f' % v


def ns(v):
    if v is None:
        return '-'
    if v >= 1e9:
        return '%.2f s' % (v / 1e9)
    if v >= 1e6:
        return '%.2f ms' % (v / 1e6)
    if v >= 1e4:
        return '%.1f µs' % (v / 1e3)
    return '%.0f ns' % v


def ratio_text(r):
    return '%.2fx (%.2f..%.2f)' % (r['median'], r['min'], r['max'])


def goal_cells(g):
    if g['status'] not in ('met', 'missed'):
        return '-', '-', g['status']
    unit = '' if g['compare'].startswith('wakeups') else 'x'
    status = g['status']
    if status == 'met' and not g.get('every_run', True):
        status = 'met (median; not in every run)'
    return ('%.2f%s' % (g['measured'], unit),
            '%.2f..%.2f' % (g['min'], g['max']), status)


def target_text(g):
    op = '>=' if g['compare'] == 'ratio>=' else '<='
    unit = '' if g['compare'].startswith('wakeups') else 'x'
    return '%s %g%s' % (op, g['target'], unit)


def markdown(rep, meta):
    env = rep['env']
    cfg = rep['config']
    out = []
    w = out.append
    w('# kchan benchmark results')
    w('')
    w('Written by `make bench` (`scripts/bench.sh`, which runs '
      '`userspace/tools/chanbench` in one QEMU VM boot). Absolute numbers '
      'are those of an emulated CPU (TCG, 10-50x slower than the host) '
      'shared with whatever else the host runs; only the ratios measured '
      'within this one boot mean anything, and a ratio moves by 10-15% '
      'between boots.')
    w('')
    w('## Environment')
    w('')
    w('| | |')
    w('|---|---|')
    vul = env.get('vulnerabilities', {})
    rows = [
        ('date (host)', meta['date']),
        ('kernel (`uname -r` in the VM)', '`%s`' % env.get('kernel', '?')),
        ('QEMU', '%s; accelerator TCG (`%s`)' % (meta['qemu'], meta['qemu_args'])),
        ('host', meta['host']),
        ('guest CPU', '%s, %s CPUs' % (env.get('cpu_model', '?'), env.get('cpus', '?'))),
        ('clocksource', '`%s`' % env.get('clocksource', '?')),
        ('mitigations', '; '.join('%s: %s' % (k, vul[k]) for k in
                                  ('meltdown', 'spectre_v2', 'retbleed')
                                  if k in vul) or '?'),
        ('kernel command line', '`%s`' % env.get('cmdline', '?')),
        ('chan.ko', meta['module'] + ('; srcversion `%s`' % env['chan_srcversion']
                                      if env.get('chan_srcversion') else '')),
        ('chan parameters', ', '.join('%s=%s' % kv for kv in
                                      sorted(env.get('chan_parameters', {}).items())) or '?'),
        ('chanbench', 'git `%s`, arguments `%s`' % (env.get('chanbench_rev', '?'),
                                                    meta['args'] or '(none)')),
        ('method', 'per scenario: a verification run and a warm-up per '
         'transport, then %d timed runs per transport interleaved across '
         'transports (ABCD ABCD ...), each moving the same number of '
         'messages, sized to about %d ms at the median warm-up rate (a '
         'transport that warmed up over 3x slower moves fewer); worker '
         'processes (fork), not threads%s' %
         (cfg['runs'], cfg['target_ms'], '; `--quick`' if cfg.get('quick') else '')),
        ('tuning for the run', '; '.join(env.get('tuning', [])) or 'none'),
        ('channels in /sys/class/chan', '%s before the run, %s after' % (
            rep.get('channels', {}).get('before', '?'),
            rep.get('channels', {}).get('after', '?'))),
        ('kernel log of the VM', meta['kernel_log']),
        ('VM wall time', '%s s' % meta['vm_seconds']),
    ]
    for k, v in rows:
        w('| %s | %s |' % (k, str(v).replace('|', '\\|')))
    w('')
    w('## How to read the tables')
    w('')
    w('- **ops/s**: messages per second; round trips per second for a '
      'round-trip row; send+receive pairs per second in `uncontended`. '
      'Median of the runs, then min..max.')
    w('- **time/op**: 1e9 / ops/s, median of the runs.')
    w('- **p50/p99/p99.9**: from a log-linear histogram (under 1% error) of '
      'all timed runs; what one sample is depends on the scenario (given '
      'under each title). Streaming samples are the time per message over '
      'windows of 64 messages at the consumer, not single-message latency.')
    w('- **wake-ups/op**: context switches (voluntary + involuntary, '
      '`getrusage` of each worker) of all the processes of a run, per op, '
      'median of the runs.')
    w('- **cap**: messages the transport really holds: a pipe is sized with '
      '`F_SETPIPE_SZ` to capacity x message size (at least one page, so a '
      'pipe of 64-byte records holds 64); `pipe-direct` holds one message '
      'per page; SEQPACKET\'s send buffer is sized by measuring how many '
      'messages fit.')
    w('- **chan/peer**: the chan row divided by this row, per interleaved '
      'run pair, median (min..max). Each scenario says whether it divides '
      'throughputs (higher is better) or times (lower is better).')
    w('- **chan/peer p50** (round trips, rendezvous): the same with each '
      "run's median latency sample instead of its mean time per op. Stalls "
      'of a few milliseconds (a vCPU thread waiting for the host to run '
      'it, when a wake-up crosses to the other, idle vCPU) weigh on the '
      'mean and not on the median; `pingpong-1cpu` and `pingpong-2cpu` pin '
      'the two processes to show both cases apart.')
    w('- `eventfd` moves no payload: it is the floor of a wake-up, not a peer.')
    w('')
    w('## Scenarios')
    for sc in rep['scenarios']:
        w('')
        w('### %s' % sc['name'])
        w('')
        w(sc['title'] + '.')
        w('')
        note = 'chan/peer: ' + sc['ratio_note'] + '.'
        if sc.get('latency'):
            note += ' Percentiles: ' + sc['latency'] + '.'
        w(note)
        w('')
        p50col = any('chan_p50_ratio' in r for r in sc['results'])
        w('| transport | ops/s | min..max | time/op | p50 | p99 | p99.9 | '
          'wake-ups/op | cap | chan/peer |' + (' chan/peer p50 |' if p50col else ''))
        w('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|' + ('--:|' if p50col else ''))
        for r in sc['results']:
            if r['status'] != 'ok':
                w('| %s | %s%s | | | | | | | | |%s' % (
                    r['label'], r['status'],
                    (': ' + r['error']) if r.get('error') else '',
                    ' |' if p50col else ''))
                continue
            ops = r['ops_per_s']
            lat = r['latency_ns']
            ratio = r.get('chan_ratio')
            p50 = r.get('chan_p50_ratio')
            row = '| %s | %s | %s..%s | %s | %s | %s | %s | %.2f | %s | %s |' % (
                r['label'], rate(ops['median']), rate(ops['min']),
                rate(ops['max']), ns(r['ns_per_op']['median']),
                ns(lat['p50']), ns(lat['p99']), ns(lat['p99.9']),
                r['wakeups_per_op']['median'],
                r['effective_capacity'] if r['effective_capacity'] else '-',
                ratio_text(ratio) if ratio else
                ('' if r['transport'] == 'chan' else '-'))
            if p50col:
                row += ' %s |' % (ratio_text(p50) if p50 else
                                  ('' if r['transport'] == 'chan' else '-'))
            w(row)
    w('')
    w('## Goals')
    w('')
    w('Judged on the median of the per-run-pair ratios (wake-ups: on the '
      'median of the chan runs). "met (median; not in every run)" means '
      'some run pairs fell on the other side: a claim without margin.')
    w('')
    w('| goal | target | measured | range over runs | status |')
    w('|---|---|--:|--:|---|')
    for g in rep['goals']:
        m, rng, st = goal_cells(g)
        w('| %s | %s | %s | %s | %s |' % (g['goal'], target_text(g), m, rng, st))
    w('')
    return '\n'.join(out)


def summary(rep):
    lines = ['Goals (chan vs peer, median of per-run-pair ratios):']
    for g in rep['goals']:
        m, rng, st = goal_cells(g)
        lines.append('  %-68s %-8s %-8s %-12s %s' % (g['goal'], target_text(g),
                                                    m, rng, st))
    return '\n'.join(lines)


def host_desc(load_start, load_end):
    model = ''
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        load = load_end or '%.2f %.2f %.2f' % os.getloadavg()
    except OSError:
        load = '?'
    return ('%s, %d CPUs, kernel %s; load average (1, 5, 15 min) %s at '
            'the start, %s at the end' % (
                model or platform.processor() or '?', os.cpu_count() or 0,
                platform.release(), load_start, load))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--result', required=True)
    ap.add_argument('--markdown', required=True)
    ap.add_argument('--json-out')
    ap.add_argument('--qemu', default='?')
    ap.add_argument('--qemu-args', default='?')
    ap.add_argument('--module', default='?')
    ap.add_argument('--vm-seconds', default='?')
    ap.add_argument('--args', default='')
    ap.add_argument('--load-start', default='?')
    ap.add_argument('--load-end', help='default: now')
    ap.add_argument('--date', help='of the run; default: now')
    a = ap.parse_args()

    blocks = read_blocks(a.result)
    bench, bench_exit = blocks.get('bench', ([], None))
    load, load_exit = blocks.get('load', ([], None))
    if load_exit not in (None, 0):
        print('bench-report: insmod chan.ko failed in the VM (exit %d): %s' %
              (load_exit, ' '.join(load).strip()), file=sys.stderr)
    complaints = kernel_complaints(blocks.get('dmesg', ([], None))[0])
    for c in complaints[:20]:
        print('bench-report: kernel log: %s' % c, file=sys.stderr)
    text = '\n'.join(bench).strip()
    start = text.find('{')
    if start < 0:
        print('bench-report: no chanbench report in %s (exit %s):\n%s' %
              (a.result, bench_exit, text[-2000:]), file=sys.stderr)
        return 1
    try:
        rep = json.loads(text[start:])
    except ValueError as e:
        print('bench-report: chanbench report in %s is not complete JSON (%s); '
              'exit %s' % (a.result, e, bench_exit), file=sys.stderr)
        return 1
    if a.json_out:
        with open(a.json_out, 'w') as f:
            json.dump(rep, f, indent=1)
            f.write('\n')
    meta = {
        'date': a.date or datetime.datetime.now(datetime.timezone.utc)
        .strftime('%Y-%m-%d %H:%M UTC'),
        'qemu': a.qemu, 'qemu_args': a.qemu_args, 'module': a.module,
        'vm_seconds': a.vm_seconds, 'args': a.args,
        'host': host_desc(a.load_start, a.load_end),
        'kernel_log': ('%d complaints (BUG, WARNING, ...), first: `%s`' %
                       (len(complaints), complaints[0].strip()))
        if complaints else ('clean (no BUG, WARNING, Oops, hung task)'
                            if 'dmesg' in blocks else 'missing'),
    }
    os.makedirs(os.path.dirname(os.path.abspath(a.markdown)), exist_ok=True)
    with open(a.markdown, 'w') as f:
        f.write(markdown(rep, meta))
    print(summary(rep))
    bad = [(sc['name'], r['label'], r['status'], r.get('error'))
           for sc in rep['scenarios'] for r in sc['results']
           if r['status'] not in ('ok', 'unsupported')]
    for b in bad:
        print('  %s / %s: %s: %s' % b, file=sys.stderr)
    if bench_exit != 0:
        print('bench-report: chanbench exited with %s' % bench_exit,
              file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
