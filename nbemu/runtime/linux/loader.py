"""ELF loading and the initial process stack, as Linux's binfmt_elf does it.

Supports static ET_EXEC, static-pie ET_DYN (loaded at PIE_BASE) and dynamic programs
(PT_INTERP: the interpreter is looked up under the sysroot given with -L, loaded top-down in the
mmap area, and started first; AT_BASE is its load address). Anything that is not a well-formed
little-endian ELF64 AArch64 executable raises LoadError with a one-line message.

FEAT_BTI, as Linux's binfmt_elf and arch_elf_adjust_prot do it (and qemu-aarch64's elfload):
when the CPU has BTI (AT_HWCAP2 has HWCAP2_BTI), the executable segments of the object that
starts first (the interpreter of a dynamic program, else the program itself) are guarded pages
if its PT_GNU_PROPERTY note has GNU_PROPERTY_AARCH64_FEATURE_1_AND with the BTI bit. A dynamic
program's own segments are left to its interpreter, which mprotects them with PROT_BTI.
"""
import io
import os

from nbemu.core.memdefs import PROT_GUARDED
from nbemu.gen.features import HWCAP2_BTI

from ..memory import PAGE_MASK, PAGE_SIZE, OutOfGuestMemory
from . import abi
from .mm import (DEFAULT_STACK_SIZE, MMAP_BOTTOM, PIE_BASE, STACK_TOP, TASK_SIZE, page_down,
                 page_up)

ET_EXEC, ET_DYN = 2, 3
EM_AARCH64 = 183
PT_LOAD, PT_INTERP, PT_PHDR, PT_GNU_STACK, PT_GNU_PROPERTY = 1, 3, 6, 0x6474e551, 0x6474e553
NT_GNU_PROPERTY_TYPE_0 = 5
GNU_PROPERTY_AARCH64_FEATURE_1_AND = 0xC0000000
GNU_PROPERTY_AARCH64_FEATURE_1_BTI = 1 << 0
PF_X, PF_W, PF_R = 1, 2, 4
PHENT_SIZE = 56
PLATFORM = b'aarch64'
MAX_ARG_BYTES = 2 << 20       # what fits in a quarter of the default stack (Linux's limit)


class LoadError(Exception):
    """The program cannot be loaded; str(e) is a one-line message naming the file."""


class ElfImage:
    """One loaded ELF object (the program or its interpreter)."""

    def __init__(self, path):
        self.path = path
        self.bias = 0
        self.entry = 0
        self.phdr = 0
        self.phnum = 0
        self.lo = 0            # lowest mapped address
        self.hi = 0            # end of the highest segment (before page rounding)
        self.interp = None     # PT_INTERP path (bytes) or None
        self.e_type = 0
        self.exec_stack = False
        self.feature_1 = 0     # GNU_PROPERTY_AARCH64_FEATURE_1_AND bits of its PT_GNU_PROPERTY
        self.guarded = False   # its executable segments are BTI guarded pages


class Program:
    """Everything the process needs from loading: where to start, the stack, brk, auxv."""

    def __init__(self):
        self.exe = None        # ElfImage of the program
        self.interp = None     # ElfImage of the interpreter, or None
        self.entry = 0         # where execution starts
        self.sp = 0
        self.brk = 0
        self.stack_lo = 0
        self.stack_hi = 0
        self.auxv = []         # [(type, value)]
        self.exe_path = ''     # absolute path of the program (/proc/self/exe)
        self.argv = []
        self.envp = []


def _fail(path, msg):
    raise LoadError(f'{path}: {msg}')


def _read_file(path):
    try:
        st = os.stat(path)
    except OSError as e:
        _fail(path, e.strerror or str(e))
    import stat as _stat
    if _stat.S_ISDIR(st.st_mode):
        _fail(path, 'Is a directory')
    if not _stat.S_ISREG(st.st_mode):
        _fail(path, 'not a regular file')
    try:
        with open(path, 'rb') as f:
            return f.read()
    except OSError as e:
        _fail(path, e.strerror or str(e))


def parse_elf(path, data):
    """Validate an ELF file and return (ELFFile, [PT_LOAD headers], [all headers])."""
    if len(data) < 4 or data[:4] != b'\x7fELF':
        _fail(path, 'not an ELF file' if data else 'empty file, not an ELF file')
    if len(data) < 64:
        _fail(path, 'truncated ELF file (incomplete ELF header)')
    if data[4] != 2:
        _fail(path, 'not a 64-bit ELF file (need ELF64 AArch64)')
    if data[5] != 1:
        _fail(path, 'not a little-endian ELF file (need AArch64 little-endian)')
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile
    try:
        elf = ELFFile(io.BytesIO(data))
        hdr = elf.header
        machine = hdr['e_machine']
    except Exception as e:   # pyelftools raises ELFError, struct.error, KeyError... on bad input
        _fail(path, f'malformed ELF header ({e.__class__.__name__}: {e})')
    if machine != 'EM_AARCH64':
        _fail(path, f'not an AArch64 executable (ELF machine {machine})')
    if hdr['e_type'] not in ('ET_EXEC', 'ET_DYN'):
        _fail(path, f'not an executable ELF file (type {hdr["e_type"]})')
    phoff, phnum, phentsize = hdr['e_phoff'], hdr['e_phnum'], hdr['e_phentsize']
    if phnum == 0:
        _fail(path, 'ELF file has no program headers')
    if phentsize != PHENT_SIZE:
        _fail(path, f'malformed ELF file (program header size {phentsize})')
    if phoff + phnum * phentsize > len(data):
        _fail(path, 'truncated ELF file (program headers past the end of the file)')
    try:
        phdrs = [elf.get_segment(i).header for i in range(phnum)]
    except (ELFError, Exception) as e:
        _fail(path, f'malformed program headers ({e.__class__.__name__}: {e})')
    loads = []
    for ph in phdrs:
        t = ph['p_type']
        if t not in ('PT_LOAD', PT_LOAD):
            continue
        off, fsz, va, msz = ph['p_offset'], ph['p_filesz'], ph['p_vaddr'], ph['p_memsz']
        if fsz > msz:
            _fail(path, 'malformed ELF file (segment file size larger than memory size)')
        if fsz and off + fsz > len(data):     # an all-bss segment may start past the end
            _fail(path, 'truncated ELF file (segment data past the end of the file)')
        if va + msz >= TASK_SIZE or va + msz < va:
            _fail(path, f'segment at {va:#x} outside the guest address space')
        if (va - off) & PAGE_MASK:
            _fail(path, f'segment at {va:#x} not congruent to its file offset modulo the page size')
        loads.append(ph)
    if not loads:
        _fail(path, 'ELF file has no loadable segments')
    return elf, loads, phdrs


def _ptype(ph):
    t = ph['p_type']
    return {'PT_LOAD': PT_LOAD, 'PT_INTERP': PT_INTERP, 'PT_PHDR': PT_PHDR,
            'PT_GNU_STACK': PT_GNU_STACK, 'PT_GNU_PROPERTY': PT_GNU_PROPERTY}.get(t, t)


def aarch64_feature_1(path, data, ph):
    """The GNU_PROPERTY_AARCH64_FEATURE_1_AND bits of a PT_GNU_PROPERTY note (0 if it has
    none). A malformed note is a load error, as Linux's parse_elf_properties makes it ENOEXEC."""
    off, size = ph['p_offset'], ph['p_filesz']
    note = data[off:off + size]
    if len(note) != size or size < 16:
        _fail(path, 'malformed PT_GNU_PROPERTY note')
    namesz, descsz, ntype = (int.from_bytes(note[i:i + 4], 'little') for i in (0, 4, 8))
    if ntype != NT_GNU_PROPERTY_TYPE_0 or namesz != 4 or note[12:16] != b'GNU\0' or \
            16 + descsz > size:
        _fail(path, 'malformed PT_GNU_PROPERTY note')
    desc, pos = note[16:16 + descsz], 0
    while pos + 8 <= len(desc):
        ptype, datasz = (int.from_bytes(desc[pos + i:pos + i + 4], 'little') for i in (0, 4))
        pos += 8
        if pos + datasz > len(desc):
            _fail(path, 'malformed PT_GNU_PROPERTY note')
        if ptype == GNU_PROPERTY_AARCH64_FEATURE_1_AND:
            if datasz != 4:
                _fail(path, 'malformed PT_GNU_PROPERTY note')
            return int.from_bytes(desc[pos:pos + 4], 'little')
        pos += (datasz + 7) & ~7
    return 0


def load_image(mm, path, data, bias_hint=None, name=None, bti=False, is_interp=False):
    """Map one ELF object. For ET_DYN the bias is bias_hint (PIE_BASE) or a free spot in the mmap
    area. bti: the CPU has FEAT_BTI; is_interp: this is a program's interpreter (see the module
    docstring for which object's pages get guarded)."""
    elf, loads, phdrs = parse_elf(path, data)
    img = ElfImage(path)
    hdr = elf.header
    img.e_type = ET_DYN if hdr['e_type'] == 'ET_DYN' else ET_EXEC
    lo = page_down(min(ph['p_vaddr'] for ph in loads))
    hi = max(ph['p_vaddr'] + ph['p_memsz'] for ph in loads)
    align = max([PAGE_SIZE] + [ph['p_align'] for ph in loads if ph['p_align'] and
                               ph['p_align'] & (ph['p_align'] - 1) == 0])
    span = page_up(hi) - lo
    if img.e_type == ET_DYN:
        if bias_hint is not None and mm.is_free(bias_hint, bias_hint + span):
            base = bias_hint
        else:
            base = mm.find_free(span, align=min(align, 1 << 21))
            if base is None:
                _fail(path, 'no room in the guest address space')
        bias = base - lo
    else:
        bias = 0
        if lo < MMAP_BOTTOM:
            _fail(path, f'segment at {lo:#x} below the lowest mappable address')
        if page_up(hi) > STACK_TOP - DEFAULT_STACK_SIZE:
            _fail(path, 'segments overlap the stack area')
    img.bias = bias
    img.lo, img.hi = lo + bias, hi + bias
    for ph in phdrs:
        t = _ptype(ph)
        if t == PT_INTERP:
            raw = data[ph['p_offset']:ph['p_offset'] + ph['p_filesz']]
            if ph['p_offset'] + ph['p_filesz'] > len(data) or not raw:
                _fail(path, 'truncated ELF file (PT_INTERP)')
            img.interp = raw.split(b'\0')[0]
        elif t == PT_GNU_STACK:
            img.exec_stack = bool(ph['p_flags'] & PF_X)
        elif t == PT_GNU_PROPERTY:
            img.feature_1 = aarch64_feature_1(path, data, ph)
    # Linux's arch_elf_adjust_prot: the object that starts first (is_interp == has_interp)
    img.guarded = bti and bool(img.feature_1 & GNU_PROPERTY_AARCH64_FEATURE_1_BTI) and \
        is_interp == (img.interp is not None or is_interp)
    # pages of all segments, with the union of the permissions of the segments sharing a page
    prot_of = {}
    for ph in loads:
        f = ph['p_flags']
        prot = (abi.PROT_READ if f & PF_R else 0) | (abi.PROT_WRITE if f & PF_W else 0) | \
            (abi.PROT_EXEC if f & PF_X else 0)
        if img.guarded and f & PF_X:
            prot |= PROT_GUARDED
        s = page_down(ph['p_vaddr'] + bias)
        e = page_up(ph['p_vaddr'] + bias + ph['p_memsz'])
        for pg in range(s, e, PAGE_SIZE):
            prot_of[pg] = prot_of.get(pg, 0) | prot
    label = name or os.path.abspath(path)
    try:
        for s, e, prot in _runs(prot_of):
            mm.map(s, e - s, prot, name=label, offset=0, anon=False)
    except OutOfGuestMemory:
        _fail(path, 'guest memory limit exceeded while loading')
    for ph in loads:
        if ph['p_filesz']:
            off = ph['p_offset']
            mm.mem.write(ph['p_vaddr'] + bias, data[off:off + ph['p_filesz']], need=0)
    # file offsets in the VMAs, for /proc/self/maps
    for ph in loads:
        s = page_down(ph['p_vaddr'] + bias)
        v = mm.find_vma(s)
        if v is not None and v.start == s:
            v.offset = page_down(ph['p_offset'])
    img.entry = hdr['e_entry'] + bias
    img.phnum = hdr['e_phnum']
    img.phdr = 0
    for ph in phdrs:
        if _ptype(ph) == PT_PHDR:
            img.phdr = ph['p_vaddr'] + bias
    if not img.phdr:
        phoff = hdr['e_phoff']
        for ph in loads:
            if ph['p_offset'] <= phoff < ph['p_offset'] + ph['p_filesz']:
                img.phdr = ph['p_vaddr'] + (phoff - ph['p_offset']) + bias
                break
    return img


def _runs(prot_of):
    """Contiguous page runs with equal permissions: [(start, end, prot)]."""
    out = []
    for pg in sorted(prot_of):
        prot = prot_of[pg]
        if out and out[-1][1] == pg and out[-1][2] == prot:
            out[-1][1] = pg + PAGE_SIZE
        else:
            out.append([pg, pg + PAGE_SIZE, prot])
    return out


def find_interp(interp, sysroot, path):
    """Host path of the ELF interpreter."""
    name = os.fsdecode(interp)
    if sysroot:
        cand = os.path.join(sysroot, name.lstrip('/'))
        if os.path.exists(cand):
            return cand
    if os.path.exists(name):
        return name
    _fail(path, f'dynamically linked, and its interpreter {name} was not found'
                + (f' under the sysroot {sysroot}' if sysroot else ' (use -L to give a sysroot)'))


def _as_bytes(s):
    return s if isinstance(s, bytes) else os.fsencode(s)


def load_program(mm, path, argv, envp, sysroot=None, stack_size=DEFAULT_STACK_SIZE,
                 execfn=None, random_bytes=None, ids=None, hwcaps=None):
    """Load `path` into the address space `mm`, build the initial stack, and return a Program.

    argv and envp are lists of str or bytes; envp entries are 'NAME=value'. execfn is the name
    for AT_EXECFN (default: path as given). ids = (uid, euid, gid, egid) (default: the host's).
    hwcaps = (AT_HWCAP, AT_HWCAP2) of the CPU model (default: the default model's)."""
    prog = Program()
    data = _read_file(path)
    prog.exe_path = os.path.abspath(path)
    bti = bool((hwcaps or (abi.HWCAP, abi.HWCAP2))[1] & HWCAP2_BTI)
    exe = load_image(mm, path, data, bias_hint=PIE_BASE, bti=bti)
    prog.exe = exe
    entry = exe.entry
    base = 0
    if exe.interp is not None:
        ipath = find_interp(exe.interp, sysroot, path)
        idata = _read_file(ipath)
        try:
            interp = load_image(mm, ipath, idata, bias_hint=None,
                                name=os.fsdecode(exe.interp), bti=bti, is_interp=True)
        except LoadError as e:
            raise LoadError(f'{path}: its interpreter: {e}') from None
        if interp.e_type != ET_DYN:
            _fail(ipath, 'the ELF interpreter is not a shared object')
        prog.interp = interp
        entry = interp.entry
        base = interp.bias
    prog.entry = entry

    # brk starts right after the program's highest segment
    mm.brk_start = mm.brk_cur = page_up(exe.hi)

    # the stack
    size = page_up(stack_size)
    prog.stack_hi = STACK_TOP
    prog.stack_lo = STACK_TOP - size
    prot = abi.PROT_READ | abi.PROT_WRITE | (abi.PROT_EXEC if exe.exec_stack else 0)
    try:
        mm.map(prog.stack_lo, size, prot, name='[stack]')
    except OutOfGuestMemory:
        _fail(path, 'guest memory limit exceeded while mapping the stack')

    uid, euid, gid, egid = ids or (os.getuid(), os.geteuid(), os.getgid(), os.getegid())
    prog.argv = [_as_bytes(a) for a in argv]
    prog.envp = [_as_bytes(e) for e in envp]
    execfn_b = _as_bytes(execfn if execfn is not None else path)
    rnd = random_bytes if random_bytes is not None else os.urandom(16)
    hwcap, hwcap2 = hwcaps or (abi.HWCAP, abi.HWCAP2)
    # qemu-aarch64's entries in qemu's order (no AT_MINSIGSTKSZ), so that glibc's start-up runs
    # the same instructions under both and instruction counts compare
    aux = [
        (abi.AT_PHDR, exe.phdr),
        (abi.AT_PHENT, PHENT_SIZE),
        (abi.AT_PHNUM, exe.phnum),
        (abi.AT_PAGESZ, PAGE_SIZE),
        (abi.AT_BASE, base),
        (abi.AT_FLAGS, 0),
        (abi.AT_ENTRY, exe.entry),
        (abi.AT_UID, uid),
        (abi.AT_EUID, euid),
        (abi.AT_GID, gid),
        (abi.AT_EGID, egid),
        (abi.AT_HWCAP, hwcap),
        (abi.AT_CLKTCK, 100),
        (abi.AT_RANDOM, None),         # filled in by build_stack
        (abi.AT_SECURE, 0),
        (abi.AT_EXECFN, None),
        (abi.AT_HWCAP2, hwcap2),
        (abi.AT_PLATFORM, None),
    ]
    prog.sp, prog.auxv = build_stack(mm.mem, STACK_TOP, prog.argv, prog.envp, execfn_b, aux,
                                     rnd, size, path)
    return prog


def build_stack(mem, top, argv, envp, execfn, aux, rnd, stack_size, path='program'):
    """Lay out the initial stack like qemu-aarch64 (linux-user create_elf_tables), which is Linux's
    layout (fs/exec.c + create_elf_tables) but for the alignment of the platform string and the
    random bytes. Every address glibc sees below the strings then has the same offset modulo 32
    under both, so code whose path depends on alignment (strlen's SIMD loop over a stack buffer)
    executes the same instructions (the instruction-count tests):

    top:  8 zero bytes | execfn | envp strings | argv strings   (copied top-down)
          "aarch64\\0" (right below the strings) | (16-byte alignment) 16 random bytes
    sp:   argc | argv[] | NULL | envp[] | NULL | auxv pairs ... AT_NULL, 0   (16-byte aligned)
    Returns (sp, final auxv list)."""
    p = top - 8
    strings = []            # (address, bytes)

    def push(b):
        nonlocal p
        p -= len(b) + 1
        strings.append((p, b + b'\0'))
        return p
    total = len(execfn) + 1 + sum(len(s) + 1 for s in argv + envp)
    if total > min(MAX_ARG_BYTES, stack_size // 4):
        _fail(path, 'argument list too long')
    execfn_addr = push(execfn)
    env_addrs = [push(e) for e in reversed(envp)][::-1]
    arg_addrs = [push(a) for a in reversed(argv)][::-1]
    platform_addr = push(PLATFORM)     # 8 bytes: a multiple of 8, as qemu rounds it
    p = (p - 16) & ~15
    random_addr = p
    strings.append((p, bytes(rnd[:16])))
    auxv = []
    for k, v in aux:
        if k == abi.AT_RANDOM:
            v = random_addr
        elif k == abi.AT_EXECFN:
            v = execfn_addr
        elif k == abi.AT_PLATFORM:
            v = platform_addr
        auxv.append((k, v))
    auxv.append((abi.AT_NULL, 0))
    words = [len(argv)] + arg_addrs + [0] + env_addrs + [0]
    for k, v in auxv:
        words += [k, v]
    sp = (p - 8 * len(words)) & ~15
    blob = b''.join((w & (2**64 - 1)).to_bytes(8, 'little') for w in words)
    lo = sp
    image = bytearray(top - lo)
    image[0:len(blob)] = blob
    for addr, b in strings:
        image[addr - lo:addr - lo + len(b)] = b
    mem.write(lo, bytes(image), need=0)
    return sp, auxv
