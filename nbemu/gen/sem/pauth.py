"""FEAT_PAuth (Armv8.3 pointer authentication, without PAuth2, EPAC or FPAC: what qemu-aarch64
7.2's max CPU implements, ID_AA64ISAR1_EL1.APA = 1, GPA = 1).

The PAC is QARMA5, the Arm ARM's architected algorithm (ComputePAC, shared/functions/crypto):
written here from the pseudocode's cell permutations, S-box and MixColumns, with the inverse
permutations derived from the forward ones so the two can never disagree.

Address layout, as a Linux process under qemu-aarch64 sees it: a 48-bit VA (T0SZ 16), TBI for
the lower half only (TCR_EL1.TBI0 = 1, TBI1 = 0, no TBID0, so instruction and data addresses
alike). A pointer whose bit 55 is 0 carries its PAC in bits 54:48 (the top byte is the tag);
one whose bit 55 is 1 (the upper half, TBI1 off) in bits 63:56 and 54:48.

A failed AUT* (no FPAC) does not trap: it returns the stripped pointer with a two-bit error code
in bits 54:53 (62:61 without TBI), so that a later branch or access through it faults.

Keys live in the vCPU record (cpu.OFF_PAC_KEYS: IA, IB, DA, DB, GA, each lo then hi word). Linux
enables every key for user space (SCTLR_EL1.EnIA/EnIB/EnDA/EnDB set) until the thread disables
some with prctl(PR_PAC_SET_ENABLED_KEYS) (cpu.OFF_PAC_DISABLED): then, as the Arm ARM's AddPACIA..
and AuthIA.. say for a clear EnXX bit, PAC* and AUT* of that key return the pointer unchanged,
and the branches and LDRAA/LDRAB through it use the pointer as it is. PACGA has no enable bit.
"""
import numpy as np
from numba import njit

from nbemu.core import cpu
from nbemu.core.native import peek64

from .bti import check_target
from .common import ALL_ONES, U, ZERO, rx, rxsp, set_pc, wx, wxsp
from .ldst import K_LD, _faulted, _transfer

KEY_IA, KEY_IB, KEY_DA, KEY_DB, KEY_GA = 0, 1, 2, 3, 4
NO_MOD = -1             # modifier register argument meaning "the modifier is zero" (Z forms)
O_PAC_KEYS = U(cpu.OFF_PAC_KEYS)
O_PAC_DISABLED = U(cpu.OFF_PAC_DISABLED)

# ----- QARMA5 (ComputePAC) -----
# PACCellShuffle: output cell j (bits 4j+3:4j) is input cell SHUFFLE[j]
_SHUFFLE = [13, 6, 11, 0, 7, 12, 1, 10, 8, 3, 14, 5, 2, 9, 4, 15]
_INV_SHUFFLE = [_SHUFFLE.index(j) for j in range(16)]
# TweakShuffle: output cell j is input cell TWEAK[j], through TweakCellRot when j is in TWEAK_ROT
_TWEAK = [4, 5, 6, 7, 11, 2, 3, 8, 12, 13, 14, 15, 0, 1, 10, 9]
_TWEAK_ROT = (2, 4, 7, 11, 12, 14, 15)
_INV_TWEAK = [_TWEAK.index(j) for j in range(16)]
_INV_TWEAK_ROT = tuple(_TWEAK[j] for j in _TWEAK_ROT)     # output cells of the inverse that rotate
_SBOX = [0xB, 0x6, 0x8, 0xF, 0xC, 0x0, 0x9, 0xE, 0x3, 0x7, 0x4, 0x5, 0xD, 0x2, 0x1, 0xA]
_INV_SBOX = [_SBOX.index(j) for j in range(16)]

SHUFFLE = np.array(_SHUFFLE, np.uint64)
INV_SHUFFLE = np.array(_INV_SHUFFLE, np.uint64)
TWEAK = np.array(_TWEAK, np.uint64)
TWEAK_ROT = np.array([int(j in _TWEAK_ROT) for j in range(16)], np.uint64)
INV_TWEAK = np.array(_INV_TWEAK, np.uint64)
INV_TWEAK_ROT = np.array([int(j in _INV_TWEAK_ROT) for j in range(16)], np.uint64)
SBOX = np.array(_SBOX, np.uint64)
INV_SBOX = np.array(_INV_SBOX, np.uint64)
RC = np.array([0x0000000000000000, 0x13198A2E03707344, 0xA4093822299F31D0,
               0x082EFA98EC4E6C89, 0x452821E638D01377], np.uint64)
ALPHA = U(0xC0AC29B7C97C50DD)
F = U(0xF)


@njit
def _cell(x, j):
    return (x >> U(4 * j)) & F


@njit
def _permute(x, src):
    o = ZERO
    for j in range(16):
        o |= _cell(x, src[j]) << U(4 * j)
    return o


@njit
def _tweak(x, src, rot, inverse):
    """TweakShuffle (inverse=0) or TweakInvShuffle (1): a permutation of the cells where some
    cells also go through a 4-bit LFSR step (TweakCellRot) or its inverse."""
    o = ZERO
    for j in range(16):
        v = _cell(x, src[j])
        if rot[j]:
            if inverse:
                v = ((v << U(1)) & F) | ((v & U(1)) ^ (v >> U(3)))
            else:
                v = (v >> U(1)) | (((v ^ (v >> U(1))) & U(1)) << U(3))
        o |= v << U(4 * j)
    return o


@njit
def _sub(x, box):
    o = ZERO
    for j in range(16):
        o |= box[_cell(x, j)] << U(4 * j)
    return o


@njit
def _rot(v, n):
    """4-bit rotate left by n."""
    return ((v << U(n)) | (v >> U(4 - n))) & F


@njit
def _mult(x):
    """PACMult: the involutory MixColumns of QARMA over the four columns of the 4x4 state."""
    o = ZERO
    for b in range(4):
        i0 = _cell(x, b)
        i4 = _cell(x, b + 4)
        i8 = _cell(x, b + 8)
        ic = _cell(x, b + 12)
        t0 = _rot(i8, 1) ^ _rot(i4, 2) ^ _rot(i0, 1)
        t1 = _rot(ic, 1) ^ _rot(i4, 1) ^ _rot(i0, 2)
        t2 = _rot(ic, 2) ^ _rot(i8, 1) ^ _rot(i0, 1)
        t3 = _rot(ic, 1) ^ _rot(i8, 2) ^ _rot(i4, 1)
        o |= t3 << U(4 * b)
        o |= t2 << U(4 * (b + 4))
        o |= t1 << U(4 * (b + 8))
        o |= t0 << U(4 * (b + 12))
    return o


@njit
def compute_pac(data, modifier, key_lo, key_hi):
    """ComputePAC(data, modifier, key<127:64>, key<63:0>): QARMA5 with key0 = the high word."""
    key0 = key_hi
    key1 = key_lo
    modk0 = (key0 << U(63)) | ((key0 >> U(1)) ^ (key0 >> U(63)))
    runningmod = modifier
    w = data ^ key0
    for i in range(5):
        w ^= key1 ^ runningmod
        w ^= RC[i]
        if i > 0:
            w = _permute(w, SHUFFLE)
            w = _mult(w)
        w = _sub(w, SBOX)
        runningmod = _tweak(runningmod, TWEAK, TWEAK_ROT, 0)
    w ^= modk0 ^ runningmod
    w = _permute(w, SHUFFLE)
    w = _mult(w)
    w = _sub(w, SBOX)
    w = _permute(w, SHUFFLE)
    w = _mult(w)
    w ^= key1
    w = _permute(w, INV_SHUFFLE)
    w = _sub(w, INV_SBOX)
    w = _mult(w)
    w = _permute(w, INV_SHUFFLE)
    w ^= key0
    w ^= runningmod
    for i in range(5):
        w = _sub(w, INV_SBOX)
        if i < 4:
            w = _mult(w)
            w = _permute(w, INV_SHUFFLE)
        runningmod = _tweak(runningmod, INV_TWEAK, INV_TWEAK_ROT, 1)
        w ^= RC[4 - i]
        w ^= key1 ^ runningmod
        w ^= ALPHA
    return w ^ modk0


# ----- pointers -----
BOT = 48                      # 64 - T0SZ
B55 = U(1) << U(55)


@njit
def _top(ptr):
    """The bit above the PAC field: 56 when the pointer's half has TBI (bit 55 clear), else 64."""
    return 56 if (ptr & B55) == ZERO else 64


@njit
def _field(top):
    """Mask of bits top-1:BOT."""
    width = top - BOT
    return ((ALL_ONES >> U(64 - width)) << U(BOT))


@njit
def _key(c, k):
    base = c + O_PAC_KEYS + U(16 * k)
    return peek64(base), peek64(base + U(8))


@njit
def strip(ptr):
    """The pointer with its PAC field replaced by copies of bit 55 (XPAC*, and AUT* success)."""
    m = _field(_top(ptr))
    return (ptr & ~m) | (m if (ptr & B55) != ZERO else ZERO)


@njit
def add_pac(ptr, modifier, key_lo, key_hi):
    """AddPAC without PAuth2: the PAC replaces the field; a pointer whose field was not a sign
    extension gets a PAC with its top bit flipped, so that it can never authenticate."""
    top = _top(ptr)
    m = _field(top)
    if top == 56:
        ext = ALL_ONES if (ptr & B55) != ZERO else ZERO
    else:
        ext = ALL_ONES if (ptr >> U(63)) != ZERO else ZERO
    pac = compute_pac((ptr & ~m) | (ext & m), modifier, key_lo, key_hi)
    if (ptr & m) != ZERO and (ptr & m) != m:
        pac ^= U(1) << U(top - 2)
    # bit 55 keeps telling the halves apart; the PAC fills the rest of the field
    return (pac & m & ~B55) | (ext & B55) | (ptr & ~(m | B55))


@njit
def auth(ptr, modifier, key_lo, key_hi, keynum):
    """Auth without FPAC: the stripped pointer, or on a PAC mismatch the stripped pointer with
    the error code (B key: 0b10, A key: 0b01) in its two bits below bit 55 (or 63)."""
    top = _top(ptr)
    orig = strip(ptr)
    pac = compute_pac(orig, modifier, key_lo, key_hi)
    if ((pac ^ ptr) & ~B55 & _field(top)) != ZERO:
        err = U((keynum << 1) | (keynum ^ 1))
        lsb = U(53) if top == 56 else U(61)
        return (orig & ~(U(3) << lsb)) | (err << lsb)
    return orig


@njit
def enabled(c, k):
    """SCTLR_EL1.EnIA/EnIB/EnDA/EnDB for key k (IA..DB)."""
    return ((peek64(c + O_PAC_DISABLED) >> U(k)) & U(1)) == ZERO


@njit
def _modifier(c, m):
    """The modifier: Xm with 31 meaning SP, or zero (NO_MOD)."""
    return ZERO if m < 0 else rxsp(c, m)


# ----- instructions -----
@njit
def pac(c, d, m, k):
    """PACIA/PACIB/PACDA/PACDB Xd, Xn|SP and their Z, SP and 1716 forms: Xd = AddPAC(Xd, mod)."""
    if not enabled(c, k):
        return
    lo, hi = _key(c, k)
    wx(c, d, add_pac(rx(c, d), _modifier(c, m), lo, hi))


@njit
def aut(c, d, m, k):
    """AUTIA/AUTIB/AUTDA/AUTDB Xd, Xn|SP and their Z, SP and 1716 forms."""
    if not enabled(c, k):
        return
    lo, hi = _key(c, k)
    wx(c, d, auth(rx(c, d), _modifier(c, m), lo, hi, k & 1))


@njit
def xpac(c, d):
    """XPACI/XPACD Xd and XPACLRI (d = 30): the layout is the same for both key kinds here."""
    wx(c, d, strip(rx(c, d)))


@njit
def pacga(c, d, n, m):
    """PACGA Xd, Xn, Xm|SP: the top 32 bits of ComputePAC(Xn, Xm|SP, APGAKey)."""
    lo, hi = _key(c, KEY_GA)
    wx(c, d, compute_pac(rx(c, n), rxsp(c, m), lo, hi) & U(0xFFFFFFFF00000000))


@njit
def br_auth(c, n, m, k, link, next_pc, btype):
    """BRAA/BRAB/BLRAA/BLRAB Xn, Xm|SP, their Z forms (m = NO_MOD) and RETAA/RETAB (n = 30,
    m = 31: SP): branch to the authenticated Xn. A failed authentication leaves the error code in
    the target, whose fetch then faults. btype: the PSTATE.BTYPE the branch sets (bti.py)."""
    target = rx(c, n)
    if enabled(c, k):
        lo, hi = _key(c, k)
        target = auth(target, _modifier(c, m), lo, hi, k & 1)
    if link:
        wx(c, 30, U(next_pc))
    set_pc(c, target)
    if btype:
        check_target(c, target, btype, next_pc)


@njit
def ldra(c, t, n, imm, k, wback):
    """LDRAA/LDRAB Xt, [Xn|SP, #imm]{!}: a doubleword load from AuthDA/DB(Xn|SP, 0) + imm, with
    the authenticated address plus imm written back to Xn|SP for the pre-indexed form."""
    va = rxsp(c, n)
    if enabled(c, k):
        lo, hi = _key(c, k)
        va = auth(va, ZERO, lo, hi, k & 1)
    va += U(imm)
    _transfer(c, t, va, 8, K_LD)
    if wback and not _faulted(c):
        wxsp(c, n, va)
