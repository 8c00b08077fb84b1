"""Guest memory constants shared by the page table (runtime/memory.py), the TLB and the
semantics: page geometry, page-table entry bits, and the Python-side guest fault."""

PAGE_SHIFT = 12
PAGE_SIZE = 1 << PAGE_SHIFT
PAGE_MASK = PAGE_SIZE - 1
VA_BITS = 48
L2_BITS = 18
L1_ENTRIES = 1 << (VA_BITS - PAGE_SHIFT - L2_BITS)
L2_ENTRIES = 1 << L2_BITS
L2_POOL = 64

PROT_READ, PROT_WRITE, PROT_EXEC = 1, 2, 4
PTE_R, PTE_W, PTE_X = 1, 2, 4
PTE_CODE = 8        # the page holds translated code: stores take the slow path and invalidate it
PTE_VALID = 16
PTE_PERMS = PTE_R | PTE_W | PTE_X
# FEAT_BTI's guarded page (Linux's VM_ARM64_BTI): an indirect branch into it must land on a
# compatible landing pad. The loader and mm pass it to Memory as a prot bit of this value (the
# guest's PROT_BTI, 0x10, would collide with PTE_VALID).
PTE_GUARDED = 32
PROT_GUARDED = PTE_GUARDED
# FEAT_MTE's tagged page (Linux's VM_MTE, from PROT_MTE): it has allocation tags, one 4-bit tag
# per 16-byte granule, and its accesses are tag checked. It is never put in the TLB, so every
# access to it takes the slow path, which does the check; untagged pages keep the fast path.
PTE_MTE = 64
PROT_TAGGED = PTE_MTE
PTE_ATTRS = PTE_PERMS | PTE_GUARDED | PTE_MTE
TAG_GRANULE = 16

DEFAULT_LIMIT = 4 << 30


class GuestFault(Exception):
    """A Python-side access to guest memory that the guest could not make (EFAULT for syscalls)."""

    def __init__(self, addr, write):
        super().__init__(f"guest {'write' if write else 'read'} fault at {addr:#x}")
        self.addr = addr
        self.write = write
