"""Scoreboards: per-vCPU plugin storage in one numpy buffer, and u64 entries in it.

Each vCPU's element sits on its own 64-byte line (no false sharing once vCPUs run in parallel).
Inline ops address an entry as (address for vCPU 0, stride); Python reads the same memory
through numpy views. A scoreboard grows when a guest thread gets a vCPU index beyond it (QEMU
resizes its scoreboards at vCPU creation too): the buffer is reallocated, the existing elements
keep their values, and the callback-table rows holding addresses into the old buffer are moved
to the new one (manager.grow_scoreboards), so code translated or compiled before the growth
addresses the new buffer: an instrumentation row is read at run time, never baked into code.
"""
import numpy as np

LINE = 64


class Scoreboard:
    def __init__(self, element_size, n_vcpus):
        if element_size <= 0:
            raise ValueError('scoreboard element size must be positive')
        self.element_size = element_size
        self.stride = -(-element_size // LINE) * LINE
        self.n_vcpus = max(1, n_vcpus)
        self.buf = np.zeros(self.stride * self.n_vcpus, dtype=np.uint8)
        self.freed = False

    def grow(self, n_vcpus):
        """Room for n_vcpus elements. Returns the old buffer when it was replaced (the caller
        moves addresses into it and keeps it alive), else None."""
        if n_vcpus <= self.n_vcpus:
            return None
        old = self.buf
        self.buf = np.zeros(self.stride * n_vcpus, dtype=np.uint8)
        self.buf[:old.nbytes] = old
        self.n_vcpus = n_vcpus
        return old

    def find(self, vcpu_index):
        """The vCPU's element as a writable uint8 array view."""
        if not 0 <= vcpu_index < self.n_vcpus:
            raise IndexError(f'vCPU {vcpu_index} has no element (the scoreboard has '
                             f'{self.n_vcpus})')
        off = vcpu_index * self.stride
        return self.buf[off:off + self.element_size]

    def address(self, offset=0):
        if self.freed:
            raise ValueError('scoreboard was freed')
        return self.buf.ctypes.data + offset


class U64Entry:
    """A uint64 at `offset` in every vCPU's element (QEMU's qemu_plugin_u64)."""

    def __init__(self, score, offset=0):
        if offset % 8 or offset + 8 > score.element_size:
            raise ValueError(f'u64 entry at offset {offset} does not fit an element of '
                             f'{score.element_size} bytes')
        self.score = score
        self.offset = offset

    @property
    def values(self):
        """The entry of every vCPU, as a uint64 numpy view (writes go to the scoreboard). A view
        taken before the scoreboard grew still shows the old buffer: take it anew."""
        s = self.score
        return s.buf.view(np.uint64)[self.offset // 8::s.stride // 8]

    def address(self):
        return self.score.address(self.offset)

    def get(self, vcpu_index):
        return int(self.values[vcpu_index])

    def set(self, vcpu_index, v):
        self.values[vcpu_index] = np.uint64(v & (2**64 - 1))

    def add(self, vcpu_index, v):
        self.values[vcpu_index] += np.uint64(v & (2**64 - 1))

    def sum(self):
        return int(self.values.sum(dtype=np.uint64))
