"""Live masked batches from ``maskpack stream`` for NumPy and PyTorch trainers.

``MaskpackStream`` starts ``maskpack stream`` as a child process and yields its batches as NumPy
arrays, or as PyTorch tensors when torch is importable (``labels``, ``next_sentence_label``,
``masked_ids`` and ``masked_positions`` as int64, what ``CrossEntropyLoss`` and indexing take;
the other arrays stay int32 and share the received memory: ``cu_seqlens`` int32 as
FlashAttention's variable-length kernels want it, ``max_seqlen`` a 0-d array (``int()`` it)).
Every batch form streams: padded or ``layout='packed'`` (``input_ids``, ``position_ids`` of the
batch's T real tokens, ``cu_seqlens``, ``max_seqlen``), dense or ``labels='sparse'``
(``masked_positions``, ``masked_ids``, ``masked_row_start``; ``masked_weights`` float32 with
``max_predictions=N``). ``MaskpackDataset`` is the same as a ``torch.utils.data.IterableDataset`` that takes its
rank and world size from ``torch.distributed`` or from the ``RANK`` / ``WORLD_SIZE`` environment
torchrun sets, and saves and resumes its place with ``state_dict()`` / ``load_state_dict()``.
``read_batches`` reads the wire format from any binary file object (a pipe, a socket).

NumPy is the only requirement. The torch API used is ``torch.from_numpy``, ``Tensor.long``,
``torch.utils.data.IterableDataset``, ``torch.utils.data.get_worker_info`` and
``torch.distributed.is_available / is_initialized / get_rank / get_world_size``.

The wire format (see ``maskpack stream --help``): every batch is a header record, a 1-d uint8
``.npy`` array holding UTF-8 JSON with ``epoch``, ``batchIndex``, ``arrays`` (the names of the
records that follow) and ``state`` (what ``resume`` takes to continue after the batch), then one
``.npy`` record per array; after the last batch an end record (``"end": true``, no arrays).
"""
from __future__ import annotations

import io
import json
import os
import re
import shlex
import shutil
import socket as _socket
import subprocess
import tempfile
import time
import weakref

import numpy as np

__all__ = ['MaskpackDataset', 'MaskpackStream', 'MaskpackStreamError', 'StreamBatch', 'read_batches', 'stream_command']

#: The ``maskpack`` value of every header this module reads.
FORMAT = 'stream-v1'
#: Arrays converted to int64 tensors (class indices of a loss, and the positions that index the model's outputs).
LONG_ARRAYS = frozenset({'labels', 'next_sentence_label', 'masked_ids', 'masked_positions'})

_MAGIC = b'\x93NUMPY\x01\x00'


class MaskpackStreamError(RuntimeError):
    """The stream failed: ``maskpack stream`` exited with an error, or the bytes are not the wire format."""


class StreamBatch(dict):
    """One batch: its arrays by name (``input_ids``, ``attention_mask``, ``labels``, ...; those of its form), in wire order.

    ``epoch`` and ``batch_index`` place it in the run; ``state`` is the loader's state after it
    (pass it as ``resume`` to continue with the next batch); ``header`` is the whole header.
    """

    def __init__(self, arrays=(), header=None):
        super().__init__(arrays)
        self.header = dict(header or {})
        self.epoch = self.header.get('epoch')
        self.batch_index = self.header.get('batchIndex')
        self.state = self.header.get('state')


def _read_exactly(f, n):
    """``n`` bytes of ``f``, or fewer only at the end of the stream."""
    chunks, got = [], 0
    while got < n:
        chunk = f.read(n - got)
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b''.join(chunks)


# The header dicts maskpack writes, parsed without NumPy's literal_eval (a tenth of the time);
# any other well-formed header goes through NumPy's own parser.
_HEADER = re.compile(rb"\{'descr': '([<|][a-z]\d+)', 'fortran_order': False, 'shape': \(((?:\d+, ?)*\d*)\), \} *\n")
_DTYPES = {}


def _parse_header(length, text, where):
    """(shape, dtype) of a ``.npy`` 1.0 header (``length`` is its two length bytes, ``text`` the dict)."""
    m = _HEADER.fullmatch(text)
    if m:
        descr = m.group(1)
        dtype = _DTYPES.get(descr) or _DTYPES.setdefault(descr, np.dtype(descr.decode('ascii')))
        return tuple(int(d) for d in m.group(2).split(b',') if d.strip()), dtype
    try:
        shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(io.BytesIO(length + text))
    except ValueError as err:
        raise MaskpackStreamError(f'{where}: bad .npy header ({err})') from err
    if fortran_order or dtype.hasobject:
        raise MaskpackStreamError(f'{where}: expected a C-order numeric array, got {dtype} fortran_order={fortran_order}')
    return shape, dtype


def _read_record(f, where):
    """The next ``.npy`` record of ``f`` as an array, or None at the end of the stream before one."""
    start = _read_exactly(f, len(_MAGIC) + 2)
    if not start:
        return None
    if len(start) < len(_MAGIC) + 2:
        raise MaskpackStreamError(f'the stream ended inside {where}')
    if start[:len(_MAGIC)] != _MAGIC:
        raise MaskpackStreamError(f'{where} is not a NumPy 1.0 .npy record (starts with {start[:len(_MAGIC)]!r})')
    length = start[len(_MAGIC):]
    text = _read_exactly(f, int.from_bytes(length, 'little'))
    if len(text) < int.from_bytes(length, 'little'):
        raise MaskpackStreamError(f'the stream ended inside {where}')
    shape, dtype = _parse_header(length, text, where)
    array = np.empty(shape, dtype)
    view = memoryview(array).cast('B') if array.nbytes else memoryview(b'')
    got = 0
    while got < array.nbytes:
        n = f.readinto(view[got:])
        if not n:
            raise MaskpackStreamError(f'the stream ended inside {where} ({got} of {array.nbytes} bytes)')
        got += n
    return array


def read_batches(f):
    """Yields the batches of a maskpack stream read from the binary file object ``f`` (a pipe, a socket's ``makefile('rb')``).

    Each is a :class:`StreamBatch` of NumPy arrays (fresh, writable, owned by the caller). Stops
    after the end record; raises :class:`MaskpackStreamError` when the stream ends without one
    (maskpack was interrupted or failed) or is not the wire format.
    """
    count = 0
    while True:
        raw = _read_record(f, f'the header of batch {count}')
        if raw is None:
            raise MaskpackStreamError(f'the stream ended after {count} batches without its end record (maskpack stopped early)')
        if raw.dtype != np.uint8 or raw.ndim != 1:
            raise MaskpackStreamError(f'the header of batch {count} must be a 1-d uint8 array, got {raw.dtype} {raw.shape}')
        try:
            header = json.loads(raw.tobytes().decode('utf-8'))
        except ValueError as err:
            raise MaskpackStreamError(f'the header of batch {count} is not UTF-8 JSON: {err}') from err
        if not isinstance(header, dict) or header.get('maskpack') != FORMAT or not isinstance(header.get('arrays'), list):
            raise MaskpackStreamError(f'the header of batch {count} is not a {FORMAT} header: {str(header)[:200]}')
        if header.get('end'):
            return
        arrays = {}
        for name in header['arrays']:
            array = _read_record(f, f'{name} of batch {count}')
            if array is None:
                raise MaskpackStreamError(f'the stream ended before {name} of batch {count}')
            arrays[name] = array
        yield StreamBatch(arrays, header)
        count += 1


def stream_command():
    """The command that runs maskpack: ``$MASKPACK`` (split like a shell would), else ``maskpack`` on the PATH."""
    if os.environ.get('MASKPACK'):
        return shlex.split(os.environ['MASKPACK'])
    found = shutil.which('maskpack')
    if found is None:
        raise MaskpackStreamError('maskpack is not on the PATH: install it (npm install -g maskpack), set MASKPACK (e.g. "npx maskpack") or pass command=[...]')
    return [found]


def _flags(options):
    """``--flag value`` arguments of keyword options: ``seq_len=512`` is ``--seq-len 512``, True a bare flag, None/False none."""
    out = []
    for key, value in options.items():
        if value is None or value is False:
            continue
        flag = '--' + key.replace('_', '-')
        out += [flag] if value is True else [flag, str(value)]
    return out


def _import_torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


class _Child:
    """The ``maskpack stream`` process and the end of the stream this side reads; closed exactly once."""

    def __init__(self, args, socket_path):
        self.stderr = tempfile.TemporaryFile()
        self.sock = None
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL if socket_path else subprocess.PIPE, stderr=self.stderr)
        try:
            if socket_path:
                self.sock = self._connect(socket_path)
                self.reader = self.sock.makefile('rb')
            else:
                self.reader = self.proc.stdout
                _grow_pipe(self.reader)
        except BaseException:
            self.close()
            raise

    def _connect(self, path):
        """Connects once maskpack listens at ``path`` (it removes a stale socket file first)."""
        while True:
            if self.proc.poll() is not None:
                raise self.failure('exited before accepting a connection')
            sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
            try:
                sock.connect(path)
                return sock
            except OSError:
                sock.close()
                time.sleep(0.01)

    def error_text(self):
        self.stderr.seek(0)
        return self.stderr.read().decode('utf-8', 'replace').strip()

    def failure(self, what):
        text = self.error_text()
        return MaskpackStreamError(f'maskpack stream {what}' + (f': {text}' if text else ''))

    def finish(self):
        """After the end record: waits for maskpack to exit and raises unless it exited 0."""
        rc = self.proc.wait()
        if rc != 0:
            raise self.failure(f'exited with status {rc}')

    def close(self):
        """Closes this side (maskpack then stops quietly at its next write), then makes sure the process is gone."""
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        for f in (getattr(self, 'reader', None), self.sock):
            if f is not None:
                f.close()
        for stop in (None, proc.terminate, proc.kill):
            if stop is not None:
                stop()
            try:
                proc.wait(timeout=2 if stop is None else 5)
                break
            except subprocess.TimeoutExpired:
                continue
        self.stderr.close()


def _grow_pipe(f):
    """A 1 MiB pipe buffer where the system allows it (fewer wake-ups per batch); harmless elsewhere."""
    try:
        import fcntl
        fcntl.fcntl(f.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)
    except (ImportError, AttributeError, OSError):
        pass


class MaskpackStream:
    """Batches of ``maskpack stream`` run as a child process; iterate it once.

    ``prefix`` is the token store (or give ``mix=['0.7:en', '0.3:de']`` for a mixture). ``epochs``
    (an int or ``'inf'``) and ``batches`` bound the run as the flags do; ``resume`` is a
    ``state`` from a batch of an earlier run with the same options (the run continues after that
    batch); ``rank`` / ``world_size`` select this process's share of every global batch. Every
    other keyword is a loader flag: ``seq_len=512`` is ``--seq-len 512``, ``whole_word_mask=True``
    is ``--whole-word-mask``. ``tensors``: None (default) yields torch tensors when torch is
    importable, NumPy arrays otherwise; True requires torch; False always yields NumPy.
    ``socket_path`` streams over a Unix domain socket instead of a pipe. ``command`` runs maskpack
    (default :func:`stream_command`).

    Breaking out of the loop, :meth:`close`, leaving a ``with`` block or garbage collection end
    the child process (it sees the closed pipe and exits 0). A failure of maskpack raises
    :class:`MaskpackStreamError` with its message.
    """

    def __init__(self, prefix=None, *, mix=None, epochs=None, batches=None, resume=None, rank=None, world_size=None,
                 tensors=None, socket_path=None, command=None, **options):
        if (prefix is None) == (not mix):
            raise ValueError('give either prefix or mix, not both or neither')
        args = list(command) if command is not None else stream_command()
        args += ['stream'] + ([str(prefix)] if prefix is not None else [])
        for m in mix or ():
            args += ['--mix', m if isinstance(m, str) else f'{m[0]}:{m[1]}']
        if resume is not None:
            args += ['--resume', json.dumps(resume)]
        args += _flags({'epochs': epochs, 'batches': batches, 'rank': rank, 'world_size': world_size, 'socket': socket_path, **options})
        self.args = args
        self._socket_path = socket_path
        torch = _import_torch() if tensors is not False else None
        if tensors and torch is None:
            raise ImportError('tensors=True needs PyTorch (import torch failed)')
        self._torch = torch
        self._child = None
        self._finalizer = None
        self._started = False
        #: The loader's state after the last batch yielded (None before the first).
        self.state = resume

    def __iter__(self):
        if self._started:
            raise RuntimeError('a MaskpackStream is iterated once: make a new one (resume=stream.state continues)')
        self._started = True
        return self._batches()

    def _batches(self):
        self._child = _Child(self.args, self._socket_path)
        self._finalizer = weakref.finalize(self, self._child.close)
        try:
            try:
                for batch in read_batches(self._child.reader):
                    self.state = batch.state
                    yield self._convert(batch)
            except MaskpackStreamError as err:
                if self._child.proc.wait() != 0:
                    raise self._child.failure(f'exited with status {self._child.proc.returncode}') from err
                raise
            self._child.finish()
        finally:
            self.close()

    def _convert(self, batch):
        if self._torch is None:
            return batch
        for name, array in batch.items():
            tensor = self._torch.from_numpy(array)
            batch[name] = tensor.long() if name in LONG_ARRAYS else tensor
        return batch

    def close(self):
        """Ends the child process (idempotent)."""
        if self._finalizer is not None:
            self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _iterable_dataset_base():
    torch = _import_torch()
    return torch.utils.data.IterableDataset if torch is not None else object


def _distributed():
    """(rank, world size) of an initialised ``torch.distributed`` group, else from RANK / WORLD_SIZE, else (0, 1)."""
    torch = _import_torch()
    dist = getattr(torch, 'distributed', None) if torch is not None else None
    if dist is not None and dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return int(os.environ.get('RANK', 0)), int(os.environ.get('WORLD_SIZE', 1))


class MaskpackDataset(_iterable_dataset_base()):
    """``maskpack stream`` as a ``torch.utils.data.IterableDataset`` of whole batches (a plain iterable without torch).

    Use it with ``DataLoader(dataset, batch_size=None)`` (the batches are already formed) and the
    default ``num_workers=0``: maskpack builds batches in its own process and threads
    (``workers=``), and a DataLoader worker process would only copy them and hide the dataset's
    state from ``state_dict()`` (so it is refused).

    Each iteration streams ``epochs`` epochs (an int or ``'inf'``) from ``epoch`` and then
    advances ``epoch`` by ``epochs``, so ``for epoch in range(E): for batch in loader`` sees a
    new epoch (new masks) each time; with ``batches``, each iteration continues where the last
    one stopped. ``rank`` / ``world_size`` default to ``torch.distributed`` when it is
    initialised, else to the ``RANK`` / ``WORLD_SIZE`` environment (torchrun sets both), else 0 / 1.
    ``state_dict()`` is the place after the last batch yielded; ``load_state_dict()`` (or
    ``resume=``, a batch's ``state``) continues from it exactly. Other keywords are as for
    :class:`MaskpackStream`.
    """

    def __init__(self, prefix=None, *, epoch=0, epochs=1, batches=None, rank=None, world_size=None, resume=None, **options):
        super().__init__()
        self.prefix = prefix
        self.epoch = epoch
        self.epochs = epochs
        self.batches = batches
        self.rank = rank
        self.world_size = world_size
        self.options = options
        self._state = resume

    def _check_main_process(self):
        torch = _import_torch()
        info = torch.utils.data.get_worker_info() if torch is not None else None
        if info is not None:
            raise RuntimeError(f'MaskpackDataset runs in the main process: use DataLoader(num_workers=0) (got {info.num_workers} workers); '
                               'set maskpack\'s own workers with workers=N')

    def __iter__(self):
        self._check_main_process()
        rank, world_size = _distributed()
        stream = MaskpackStream(self.prefix, epoch=self.epoch, epochs=self.epochs, batches=self.batches, resume=self._state,
                                rank=self.rank if self.rank is not None else rank,
                                world_size=self.world_size if self.world_size is not None else world_size, **self.options)
        with stream:
            for batch in stream:
                self._state = batch.state
                yield batch
        if self.batches is None:
            self.epoch = self.epoch + self.epochs if self.epochs != 'inf' else self.epoch
            self._state = None

    def set_epoch(self, epoch):
        """Starts the next iteration at ``epoch`` (from its first batch)."""
        self.epoch = epoch
        self._state = None

    def state_dict(self):
        """The place after the last batch yielded: ``{'epoch': first epoch of the run, 'state': loader state or None}``."""
        return {'epoch': self.epoch, 'state': self._state}

    def load_state_dict(self, state):
        """Continues from a :meth:`state_dict` (the next iteration starts after its batch)."""
        self.epoch = state['epoch']
        self._state = state['state']
