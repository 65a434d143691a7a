#!/usr/bin/env python3
"""Where the time of one `mydocker run --rm ... true` goes, from strace logs.

    run_profile.py ROOT TRACE...

Each TRACE is the output of

    strace -f -ttt -T -y --seccomp-bpf -o TRACE -e trace=execve,execveat,
        clone,clone3,vfork,fork,openat,fsync,fdatasync,syncfs,mount,umount2,
        write,sendto,rename,unlinkat,rmdir,exit_group
        mydocker run --rm --net none busybox true

with ROOT the data root. Prints, as medians over the traces, the phases of a
run (client start, create, monitor start, prepare, namespaces and mounts,
the command, exit handling) and the calls that cost the most in total,
grouped by what they act on (fsync of config.v2.json, the write to a
cgroup.procs, the overlay mount...).

strace stops each traced process at each traced call, so every phase is
longer than without it, the ones with many calls (dynamic linking: an
openat per library) the most; the calls' own durations (-T) are close to
the real ones.
"""

import collections
import re
import statistics
import sys

LINE = re.compile(r'^(\d+)\s+(\d+\.\d+) (.*)$')
CALL = re.compile(r'^([a-z0-9_]+)\((.*)$')
RESUMED = re.compile(r'^<\.\.\. ([a-z0-9_]+) resumed>(.*)$')
RESULT = re.compile(r'= (-?\d+|\?)(?:<[^>]*>)?(?: [A-Z].*?)? <(\d+\.\d+)>$')
FD_PATH = re.compile(r'^(?:AT_FDCWD<[^>]*>, )?"?([^",]*)"?')
FIRST_FD = re.compile(r'^\d+<([^>]*)>')
FIRST_STR = re.compile(r'^(?:AT_FDCWD<[^>]*>, )?"([^"]*)"')
AT_STR = re.compile(r'^\d+<([^>]*)>, "([^"]*)"')


class Call:
  __slots__ = ('pid', 'start', 'dur', 'name', 'args', 'ret')

  def __init__(self, pid, start, name, args):
    self.pid, self.start, self.name, self.args = pid, start, name, args
    self.dur, self.ret = 0.0, None

  @property
  def end(self):
    return self.start + self.dur


def parse(path):
  """The completed calls of one trace, in start order, times in ms from 0."""
  calls, pending = [], {}
  for line in open(path, errors='replace'):
    m = LINE.match(line.rstrip('\n'))
    if not m:
      continue
    pid, t, rest = int(m.group(1)), float(m.group(2)) * 1000, m.group(3)
    if rest.startswith('+++') or rest.startswith('---'):
      continue
    r = RESUMED.match(rest)
    if r:
      c = pending.pop(pid, None)
      if c is None:
        continue
      c.args += r.group(2)
      text = r.group(2)
    else:
      m2 = CALL.match(rest)
      if not m2:
        continue
      c = Call(pid, t, m2.group(1), m2.group(2))
      text = rest
      if rest.endswith('<unfinished ...>'):
        pending[pid] = c
        continue
    res = RESULT.search(text)
    if res:
      c.ret = res.group(1)
      c.dur = float(res.group(2)) * 1000
    elif c.name == 'exit_group':
      c.ret = '?'
    calls.append(c)
  calls.sort(key=lambda c: c.start)
  if not calls:
    raise SystemExit(f'{path}: no calls')
  t0 = calls[0].start
  for c in calls:
    c.start -= t0
  return calls


def target(c):
  """What a call acts on: a path, shortened to what identifies it."""
  if c.name in ('fsync', 'fdatasync', 'syncfs', 'write'):
    m = FIRST_FD.match(c.args)
    p = m.group(1) if m else ''
  elif AT_STR.match(c.args):
    m = AT_STR.match(c.args)
    p = m.group(1) + '/' + m.group(2)
  else:
    m = FIRST_STR.match(c.args)
    p = m.group(1) if m else ''
  p = re.sub(r'[0-9a-f]{64}', '<id>', p)
  p = re.sub(r'\.tmp-[A-Za-z0-9]{6}$', '', p)
  p = re.sub(r'/\.([^/]+)$', r'/\1', p)  # The temp name of an atomic write.
  return p


def short(p, root):
  if p == root or p.startswith(root + '/'):
    p = '$ROOT' + p[len(root):]
  p = p.replace('/sys/fs/cgroup/', 'cgroup:')
  return p


def phases(calls, root):
  client = calls[0].pid
  in_root = lambda c, pid: (c.pid == pid and c.name == 'openat' and
                            FIRST_STR.match(c.args) and
                            FIRST_STR.match(c.args).group(1).startswith(root + '/'))
  # The monitor is spawned (posix_spawn's kind: CLONE_VFORK) by a thread of
  # the client while the container is created; it gets the container's id
  # over a socket (the client's sendto) once the container exists.
  spawn = next(c for c in calls if c.name in ('clone', 'clone3') and 'CLONE_VFORK' in c.args)
  mon = int(spawn.ret)
  mon_exec = next(c for c in calls if c.pid == mon and c.name in ('execve', 'execveat')
                  and c.ret == '0')
  id_sent = next(c for c in calls if c.name == 'sendto' and c.start > spawn.start and
                 c.pid != mon)
  # The monitor clones the container's init (CLONE_NEWPID).
  clone3 = next(c for c in calls if c.pid == mon and c.name in ('clone3', 'clone') and
                'CLONE_NEWPID' in c.args)
  child = int(clone3.ret)
  cl_main = next(c for c in calls if in_root(c, client))
  cmd_exec = next(c for c in calls if c.pid == child and c.name == 'execve' and c.ret == '0')
  child_end = max(c.end for c in calls if c.pid == child)
  mon_end = max(c.end for c in calls if c.pid == mon)
  cl_end = max(c.end for c in calls if c.pid == client)
  cg = sum(c.dur for c in calls if c.name == 'write' and 'cgroup.procs' in c.args)
  syncs = [c for c in calls if c.name in ('fsync', 'fdatasync', 'syncfs')]

  def sync_in(a, b, pids):
    s = [c for c in syncs if c.pid in pids and a <= c.start < b]
    return len(s), sum(c.dur for c in s)

  client_tids = {c.pid for c in calls if c.pid not in (mon, child) and c.start < id_sent.end}
  out = collections.OrderedDict()
  out['client: exec -> main (dynamic linking, init)'] = (cl_main.start, None)
  out['client: main -> monitor spawned (request checks)'] = (
      spawn.start - cl_main.start, None)
  out['client: main -> id sent (create)'] = (
      id_sent.start - cl_main.start, sync_in(cl_main.start, id_sent.start, client_tids))
  out['  meanwhile: spawn -> the monitor exec\'d'] = (mon_exec.end - spawn.start, None)
  out['monitor: id sent -> clone3 (prepare, mount, config.json)'] = (
      clone3.start - id_sent.start, sync_in(id_sent.start, clone3.start, {mon}))
  out['clone3 -> exec of the command (ns, cgroup, mounts)'] = (cmd_exec.start - clone3.start, None)
  out['  of which the writes to cgroup.procs'] = (cg, None)
  out['the command: exec -> exit'] = (child_end - cmd_exec.start, None)
  out['exit -> monitor exits (state, umount, --rm)'] = (
      mon_end - child_end, sync_in(child_end, mon_end, {mon}))
  out['total: client exec -> client exit'] = (cl_end, (len(syncs), sum(c.dur for c in syncs)))
  return out


def main():
  if len(sys.argv) < 3:
    raise SystemExit(__doc__)
  root = sys.argv[1].rstrip('/')
  traces = [parse(p) for p in sys.argv[2:]]
  per = [phases(t, root) for t in traces]
  n = len(per)
  print(f'phases, median of {n} traced runs (ms; "syncs": fsync + syncfs calls, their time)')
  for k in per[0]:
    if any(k not in p for p in per):
      continue
    v = statistics.median(p[k][0] for p in per)
    s = ''
    if per[0][k][1] is not None:
      cnt = statistics.median(p[k][1][0] for p in per)
      dur = statistics.median(p[k][1][1] for p in per)
      s = f'   syncs: {cnt:.0f}, {dur:.1f} ms'
    print(f'  {k:58s} {v:7.1f}{s}')

  # The costliest calls: total time per (call, target), median over runs.
  totals = collections.defaultdict(list)
  counts = collections.defaultdict(list)
  for t in traces:
    tot, cnt = collections.Counter(), collections.Counter()
    for c in t:
      if c.name in ('exit_group', 'execve') and c.ret != '0':
        continue
      key = (c.name, short(target(c), root))
      if c.name == 'write' and 'cgroup.procs' not in key[1]:
        key = ('write', '(other)')
      if c.name == 'openat':
        key = ('openat', '(all)')
      if c.name in ('unlinkat', 'rmdir') and not key[1].startswith('cgroup:'):
        key = ('unlinkat+rmdir', '(all: removing files and directories)')
      tot[key] += c.dur
      cnt[key] += 1
    for k in tot:
      totals[k].append(tot[k])
      counts[k].append(cnt[k])
  rows = sorted(totals, key=lambda k: -statistics.median(totals[k] + [0] * (n - len(totals[k]))))
  print(f'\ncostliest calls, total per run (median of {n}), by what they act on')
  for k in rows[:15]:
    v = statistics.median(totals[k] + [0] * (n - len(totals[k])))
    c = statistics.median(counts[k] + [0] * (n - len(counts[k])))
    print(f'  {v:7.2f} ms  {c:3.0f} x {k[0]} {k[1]}')


if __name__ == '__main__':
  main()
