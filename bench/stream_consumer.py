"""The consumer of the stream.python benchmark: times batches received from ``maskpack stream``
and wrapped as NumPy arrays by python/maskpack_stream.py, as a training loop gets them.

argv: python dir, store prefix, warm-up batches, batches per run, runs, then the maskpack command.
Prints JSON: per run, the wall seconds, this process's CPU seconds and maskpack's CPU seconds
(its main thread and collate worker; Linux /proc, else null).
"""
import json
import os
import sys
import time

sys.path.insert(0, sys.argv[1])
import maskpack_stream as ms  # noqa: E402

prefix, warm, batches, runs = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
command = sys.argv[6:]


def cpu_seconds(pid):
    try:
        with open(f'/proc/{pid}/stat') as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')
    except (OSError, ValueError):
        return None


stream = ms.MaskpackStream(prefix, command=command, tensors=False, epochs='inf', format='full-sentences', seq_len=512, batch=256,
                           pad='max', workers=1, store_access='memory')
it = iter(stream)
tokens = 0
for _ in range(warm):
    tokens += next(it)['input_ids'].size
pid = stream._child.proc.pid
out = []
for _ in range(runs):
    t0, c0, p0 = time.perf_counter(), time.process_time(), cpu_seconds(pid)
    for _ in range(batches):
        tokens += next(it)['input_ids'].size
    t1, c1, p1 = time.perf_counter(), time.process_time(), cpu_seconds(pid)
    out.append({'seconds': t1 - t0, 'cpu': c1 - c0, 'producerCpu': None if p0 is None else p1 - p0})
stream.close()
print(json.dumps({'runs': out, 'tokens': tokens}))
