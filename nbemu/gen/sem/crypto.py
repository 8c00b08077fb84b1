"""Cryptographic extension semantics: AES, SHA1, SHA256, SHA512, SHA3, SM3, SM4 (Arm ARM C7.2,
the pseudocode of each instruction and the shared functions AESSubBytes, SHAchoose, ... in J1).

A 128-bit register is two uint64 halves (lo = bits 63:0); the SHA1/SHA256/SM3/SM4 operations
work on its four 32-bit words (word i = bits 32i+31:32i), SHA512 and the SHA3 ones on its two
64-bit halves. The S-boxes are built at import from their algebraic definitions (the AES one:
inversion in GF(2^8) mod x^8+x^4+x^3+x+1 and FIPS-197's affine map; the SM4 one: GB/T 32907's
S = A.inv(A.x + 0xD3) + 0xD3 mod x^8+x^7+x^6+x^5+x^4+x^2+1 with A the circulant of 0xA7), so no
256-entry table is typed in by hand; tests/isa/test_crypto.py checks them against known values.
"""
import numpy as np
from numba import njit

from .common import U, ZERO, set_v, v_hi, v_lo

M32 = U(0xFFFFFFFF)
M8 = U(0xFF)


# ----- S-boxes (built once, in Python) -----
def _gmul(a, b, poly):
    r = 0
    while b:
        if b & 1:
            r ^= a
        b >>= 1
        a <<= 1
        if a & 0x100:
            a ^= poly
    return r


def _inverses(poly):
    # In GF(2^8) every a != 0 has a^255 == 1, so a^254 is its inverse (square and multiply).
    inv = [0] * 256
    for a in range(1, 256):
        result, square, e = 1, a, 254
        while e:
            if e & 1:
                result = _gmul(result, square, poly)
            square = _gmul(square, square, poly)
            e >>= 1
        inv[a] = result
    return inv


def _rotl8(x, n):
    n %= 8
    return ((x << n) | (x >> (8 - n))) & 0xFF


def _affine(x, row, const):
    """Bit i of the result is the parity of x AND (row rotated left by i), XOR const."""
    y = 0
    for i in range(8):
        y |= (bin(x & _rotl8(row, i)).count('1') & 1) << i
    return y ^ const


def _aes_sbox():
    inv = _inverses(0x11B)
    # FIPS-197 5.1.1: b'_i = b_i ^ b_(i+4) ^ b_(i+5) ^ b_(i+6) ^ b_(i+7) ^ c_i, c = 0x63
    return [_affine_aes(inv[x]) for x in range(256)]


def _affine_aes(b):
    y = 0
    for i in range(8):
        bit = 0
        for k in (0, 4, 5, 6, 7):
            bit ^= (b >> ((i + k) % 8)) & 1
        y |= bit << i
    return y ^ 0x63


def _sm4_sbox():
    inv = _inverses(0x1F5)
    return [_affine(inv[_affine(x, 0xA7, 0xD3)], 0xA7, 0xD3) for x in range(256)]


_AES = _aes_sbox()
AES_SBOX = np.array(_AES, dtype=np.uint64)
AES_INV_SBOX = np.zeros(256, dtype=np.uint64)
for _i, _s in enumerate(_AES):
    AES_INV_SBOX[_s] = _i
SM4_SBOX = np.array(_sm4_sbox(), dtype=np.uint64)
# ShiftRows on the column-major state (byte i = row i % 4, column i // 4): result byte
# r + 4c is input byte r + 4((c + r) mod 4); InvShiftRows undoes it
AES_SHIFT = np.array([(i % 4) + 4 * (((i // 4) + (i % 4)) % 4) for i in range(16)], dtype=np.int64)
AES_INV_SHIFT = np.array([(i % 4) + 4 * (((i // 4) - (i % 4)) % 4) for i in range(16)],
                         dtype=np.int64)


# ----- words and bytes of a 128-bit value -----
@njit
def _w(lo, hi, i):
    """32-bit word i (0..3) of hi:lo."""
    if i < 2:
        return (lo >> U(32 * i)) & M32
    return (hi >> U(32 * (i - 2))) & M32


@njit
def _pack(w0, w1, w2, w3):
    return (w0 & M32) | ((w1 & M32) << U(32)), (w2 & M32) | ((w3 & M32) << U(32))


@njit
def _byte(lo, hi, i):
    if i < 8:
        return (lo >> U(8 * i)) & M8
    return (hi >> U(8 * (i - 8))) & M8


@njit
def rol32(x, n):
    x &= M32
    if n == 0:
        return x
    return ((x << U(n)) | (x >> U(32 - n))) & M32


@njit
def ror32(x, n):
    return rol32(x, (32 - n) % 32)


@njit
def ror64(x, n):
    if n == 0:
        return x
    return (x >> U(n)) | (x << U(64 - n))


# ----- AES -----
AES_E, AES_D, AES_MC, AES_IMC = range(4)


@njit
def _xt(a):
    """Multiply a byte by x in GF(2^8) mod x^8+x^4+x^3+x+1."""
    a <<= U(1)
    if a & U(0x100):
        a ^= U(0x11B)
    return a


@njit
def _gm(a, b):
    r = ZERO
    while b:
        if b & 1:
            r ^= a
        b >>= 1
        a = _xt(a)
    return r


@njit
def _mix(lo, hi, inverse):
    """AESMixColumns / AESInvMixColumns: each 4-byte column times the (inverse) MDS matrix."""
    if inverse:
        k0, k1, k2, k3 = 14, 11, 13, 9
    else:
        k0, k1, k2, k3 = 2, 3, 1, 1
    olo = ZERO
    ohi = ZERO
    for col in range(4):
        a0 = _byte(lo, hi, 4 * col)
        a1 = _byte(lo, hi, 4 * col + 1)
        a2 = _byte(lo, hi, 4 * col + 2)
        a3 = _byte(lo, hi, 4 * col + 3)
        r0 = _gm(a0, k0) ^ _gm(a1, k1) ^ _gm(a2, k2) ^ _gm(a3, k3)
        r1 = _gm(a0, k3) ^ _gm(a1, k0) ^ _gm(a2, k1) ^ _gm(a3, k2)
        r2 = _gm(a0, k2) ^ _gm(a1, k3) ^ _gm(a2, k0) ^ _gm(a3, k1)
        r3 = _gm(a0, k1) ^ _gm(a1, k2) ^ _gm(a2, k3) ^ _gm(a3, k0)
        w = r0 | (r1 << U(8)) | (r2 << U(16)) | (r3 << U(24))
        if col < 2:
            olo |= w << U(32 * col)
        else:
            ohi |= w << U(32 * (col - 2))
    return olo, ohi


@njit
def crypto_aes(c, op, rd, rn):
    """AESE (AddRoundKey, ShiftRows, SubBytes), AESD (the inverses), AESMC, AESIMC."""
    nlo = v_lo(c, rn)
    nhi = v_hi(c, rn)
    if op == AES_MC or op == AES_IMC:
        lo, hi = _mix(nlo, nhi, op == AES_IMC)
        set_v(c, rd, lo, hi)
        return
    xlo = v_lo(c, rd) ^ nlo
    xhi = v_hi(c, rd) ^ nhi
    lo = ZERO
    hi = ZERO
    for i in range(16):
        if op == AES_E:
            b = AES_SBOX[_byte(xlo, xhi, AES_SHIFT[i])]
        else:
            b = AES_INV_SBOX[_byte(xlo, xhi, AES_INV_SHIFT[i])]
        if i < 8:
            lo |= b << U(8 * i)
        else:
            hi |= b << U(8 * (i - 8))
    set_v(c, rd, lo, hi)


# ----- SHA1 / SHA256 -----
(SHA1C, SHA1P, SHA1M, SHA1SU0, SHA256H, SHA256H2, SHA256SU1) = range(7)
SHA1H, SHA1SU1, SHA256SU0 = range(3)


@njit
def _choose(x, y, z):
    return ((y ^ z) & x) ^ z


@njit
def _majority(x, y, z):
    return (x & y) | ((x | y) & z)


@njit
def _sha256_hash(xlo, xhi, ylo, yhi, wlo, whi, part1):
    """SHA256hash(X, Y, W, part1): four rounds on the state halves X (a..d) and Y (e..h)."""
    x0, x1, x2, x3 = _w(xlo, xhi, 0), _w(xlo, xhi, 1), _w(xlo, xhi, 2), _w(xlo, xhi, 3)
    y0, y1, y2, y3 = _w(ylo, yhi, 0), _w(ylo, yhi, 1), _w(ylo, yhi, 2), _w(ylo, yhi, 3)
    for e in range(4):
        chs = _choose(y0, y1, y2)
        maj = _majority(x0, x1, x2)
        s1 = ror32(y0, 6) ^ ror32(y0, 11) ^ ror32(y0, 25)
        s0 = ror32(x0, 2) ^ ror32(x0, 13) ^ ror32(x0, 22)
        t1 = (y3 + s1 + chs + _w(wlo, whi, e)) & M32
        x3 = (t1 + x3) & M32
        y3 = (t1 + s0 + maj) & M32
        # <Y, X> = ROL(Y:X, 32): each moves up a word, X's top word into Y's bottom
        x0, x1, x2, x3, y0, y1, y2, y3 = y3, x0, x1, x2, x3, y0, y1, y2
    if part1:
        return _pack(x0, x1, x2, x3)
    return _pack(y0, y1, y2, y3)


@njit
def crypto_sha3reg(c, op, rd, rn, rm):
    """SHA1C/SHA1P/SHA1M (four rounds), SHA1SU0, SHA256H, SHA256H2, SHA256SU1."""
    dlo, dhi = v_lo(c, rd), v_hi(c, rd)
    nlo, nhi = v_lo(c, rn), v_hi(c, rn)
    mlo, mhi = v_lo(c, rm), v_hi(c, rm)
    if op <= SHA1M:
        x0, x1, x2, x3 = _w(dlo, dhi, 0), _w(dlo, dhi, 1), _w(dlo, dhi, 2), _w(dlo, dhi, 3)
        y = nlo & M32
        for e in range(4):
            if op == SHA1C:
                t = _choose(x1, x2, x3)
            elif op == SHA1P:
                t = x1 ^ x2 ^ x3
            else:
                t = _majority(x1, x2, x3)
            y = (y + rol32(x0, 5) + t + _w(mlo, mhi, e)) & M32
            x1 = rol32(x1, 30)
            # <Y, X> = ROL(Y:X, 32) on 160 bits
            y, x0, x1, x2, x3 = x3, y, x0, x1, x2
        lo, hi = _pack(x0, x1, x2, x3)
    elif op == SHA1SU0:
        lo = dhi ^ dlo ^ mlo
        hi = nlo ^ dhi ^ mhi
    elif op == SHA256H:
        lo, hi = _sha256_hash(dlo, dhi, nlo, nhi, mlo, mhi, True)
    elif op == SHA256H2:
        lo, hi = _sha256_hash(nlo, nhi, dlo, dhi, mlo, mhi, False)
    else:
        # SHA256SU1: T0 = op3<31:0>:op2<127:32>, T1 = op3<127:64>, then the result's low half
        t0 = (_w(nlo, nhi, 1), _w(nlo, nhi, 2), _w(nlo, nhi, 3), _w(mlo, mhi, 0))
        r = [ZERO, ZERO, ZERO, ZERO]
        for e in range(4):
            if e < 2:
                elt = _w(mlo, mhi, 2 + e)
            else:
                elt = r[e - 2]
            elt = ror32(elt, 17) ^ ror32(elt, 19) ^ (elt >> U(10))
            r[e] = (elt + _w(dlo, dhi, e) + t0[e]) & M32
        lo, hi = _pack(r[0], r[1], r[2], r[3])
    set_v(c, rd, lo, hi)


@njit
def crypto_sha2reg(c, op, rd, rn):
    """SHA1H, SHA1SU1, SHA256SU0."""
    nlo, nhi = v_lo(c, rn), v_hi(c, rn)
    if op == SHA1H:
        set_v(c, rd, rol32(nlo, 30), ZERO)
        return
    dlo, dhi = v_lo(c, rd), v_hi(c, rd)
    if op == SHA1SU1:
        # T = X EOR LSR(Y, 32)
        tlo = dlo ^ ((nlo >> U(32)) | (nhi << U(32)))
        thi = dhi ^ (nhi >> U(32))
        t0, t1, t2, t3 = _w(tlo, thi, 0), _w(tlo, thi, 1), _w(tlo, thi, 2), _w(tlo, thi, 3)
        w0 = rol32(t0, 1)
        lo, hi = _pack(w0, rol32(t1, 1), rol32(t2, 1), rol32(t3, 1) ^ rol32(t0, 2))
    else:
        # SHA256SU0: T = op2<31:0>:op1<127:32>
        t = (_w(dlo, dhi, 1), _w(dlo, dhi, 2), _w(dlo, dhi, 3), nlo & M32)
        r = [ZERO, ZERO, ZERO, ZERO]
        for e in range(4):
            elt = t[e]
            elt = ror32(elt, 7) ^ ror32(elt, 18) ^ (elt >> U(3))
            r[e] = (elt + _w(dlo, dhi, e)) & M32
        lo, hi = _pack(r[0], r[1], r[2], r[3])
    set_v(c, rd, lo, hi)


# ----- SHA512, RAX1, SM3PARTW1/2, SM4EKEY (the "three register SHA512" group) -----
(SHA512H, SHA512H2, SHA512SU1, RAX1, SM3PARTW1, SM3PARTW2, SM4EKEY) = range(7)
SHA512SU0, SM4E = range(2)


@njit
def _sig1_512(x):
    return ror64(x, 14) ^ ror64(x, 18) ^ ror64(x, 41)


@njit
def _sig0_512(x):
    return ror64(x, 28) ^ ror64(x, 34) ^ ror64(x, 39)


@njit
def _sm4_t(x):
    """SM4's nonlinear step: the S-box on each byte of a word."""
    r = ZERO
    for i in range(4):
        r |= SM4_SBOX[(x >> U(8 * i)) & M8] << U(8 * i)
    return r


@njit
def _sm4_rounds(rlo, rhi, klo, khi, key):
    """Four SM4 rounds (SM4E: key=False, linear map L; SM4EKEY: key=True, L')."""
    r0, r1, r2, r3 = _w(rlo, rhi, 0), _w(rlo, rhi, 1), _w(rlo, rhi, 2), _w(rlo, rhi, 3)
    for i in range(4):
        t = _sm4_t(r3 ^ r2 ^ r1 ^ _w(klo, khi, i))
        if key:
            t = t ^ rol32(t, 13) ^ rol32(t, 23)
        else:
            t = t ^ rol32(t, 2) ^ rol32(t, 10) ^ rol32(t, 18) ^ rol32(t, 24)
        r0, r1, r2, r3 = r1, r2, r3, t ^ r0
    return _pack(r0, r1, r2, r3)


@njit
def crypto_sha512_3(c, op, rd, rn, rm):
    """SHA512H, SHA512H2, SHA512SU1, RAX1, SM3PARTW1, SM3PARTW2, SM4EKEY."""
    dlo, dhi = v_lo(c, rd), v_hi(c, rd)
    nlo, nhi = v_lo(c, rn), v_hi(c, rn)
    mlo, mhi = v_lo(c, rm), v_hi(c, rm)
    if op == SHA512H:
        hi = dhi + _sig1_512(mhi) + ((mhi & nlo) ^ (~mhi & nhi))
        t = hi + mlo
        lo = dlo + _sig1_512(t) + ((t & mhi) ^ (~t & nlo))
    elif op == SHA512H2:
        hi = dhi + _sig0_512(mlo) + ((nlo & mhi) ^ (nlo & mlo) ^ (mhi & mlo))
        lo = dlo + _sig0_512(hi) + ((hi & mlo) ^ (hi & mhi) ^ (mhi & mlo))
    elif op == SHA512SU1:
        lo = dlo + (ror64(nlo, 19) ^ ror64(nlo, 61) ^ (nlo >> U(6))) + mlo
        hi = dhi + (ror64(nhi, 19) ^ ror64(nhi, 61) ^ (nhi >> U(6))) + mhi
    elif op == RAX1:
        lo = nlo ^ ror64(mlo, 63)
        hi = nhi ^ ror64(mhi, 63)
    elif op == SM3PARTW1:
        r = [_w(dlo ^ nlo, dhi ^ nhi, i) for i in range(4)]
        for i in range(3):
            r[i] ^= rol32(_w(mlo, mhi, i + 1), 15)
        for i in range(4):
            if i == 3:
                r[3] ^= rol32(r[0], 15)
            r[i] = r[i] ^ rol32(r[i], 15) ^ rol32(r[i], 23)
        lo, hi = _pack(r[0], r[1], r[2], r[3])
    elif op == SM3PARTW2:
        t = [_w(nlo, nhi, i) ^ rol32(_w(mlo, mhi, i), 7) for i in range(4)]
        t2 = rol32(t[0], 15)
        t2 = t2 ^ rol32(t2, 15) ^ rol32(t2, 23)
        lo, hi = _pack(_w(dlo, dhi, 0) ^ t[0], _w(dlo, dhi, 1) ^ t[1],
                       _w(dlo, dhi, 2) ^ t[2], _w(dlo, dhi, 3) ^ t[3] ^ t2)
    else:
        lo, hi = _sm4_rounds(nlo, nhi, mlo, mhi, True)
    set_v(c, rd, lo, hi)


@njit
def crypto_sha512_2(c, op, rd, rn):
    """SHA512SU0, SM4E."""
    dlo, dhi = v_lo(c, rd), v_hi(c, rd)
    nlo, nhi = v_lo(c, rn), v_hi(c, rn)
    if op == SHA512SU0:
        lo = dlo + (ror64(dhi, 1) ^ ror64(dhi, 8) ^ (dhi >> U(7)))
        hi = dhi + (ror64(nlo, 1) ^ ror64(nlo, 8) ^ (nlo >> U(7)))
        set_v(c, rd, lo, hi)
    else:
        lo, hi = _sm4_rounds(dlo, dhi, nlo, nhi, False)
        set_v(c, rd, lo, hi)


# ----- SHA3 and SM3 four-register / immediate forms -----
EOR3, BCAX, SM3SS1 = range(3)


@njit
def crypto_4reg(c, op, rd, rn, rm, ra):
    """EOR3 (n ^ m ^ a), BCAX (n ^ (m & ~a)), SM3SS1."""
    nlo, nhi = v_lo(c, rn), v_hi(c, rn)
    mlo, mhi = v_lo(c, rm), v_hi(c, rm)
    alo, ahi = v_lo(c, ra), v_hi(c, ra)
    if op == EOR3:
        set_v(c, rd, nlo ^ mlo ^ alo, nhi ^ mhi ^ ahi)
    elif op == BCAX:
        set_v(c, rd, nlo ^ (mlo & ~alo), nhi ^ (mhi & ~ahi))
    else:
        w = rol32((rol32(nhi >> U(32), 12) + (mhi >> U(32)) + (ahi >> U(32))) & M32, 7)
        set_v(c, rd, ZERO, w << U(32))


@njit
def crypto_xar(c, rd, rn, rm, imm6):
    """XAR: each 64-bit half of n ^ m rotated right by imm6."""
    set_v(c, rd, ror64(v_lo(c, rn) ^ v_lo(c, rm), imm6), ror64(v_hi(c, rn) ^ v_hi(c, rm), imm6))


SM3TT1A, SM3TT1B, SM3TT2A, SM3TT2B = range(4)


@njit
def crypto_sm3tt(c, op, rd, rn, rm, imm2):
    """SM3TT1A, SM3TT1B, SM3TT2A, SM3TT2B with Wj (or Wj') = word imm2 of Vm."""
    dlo, dhi = v_lo(c, rd), v_hi(c, rd)
    d0, d1, d2, d3 = _w(dlo, dhi, 0), _w(dlo, dhi, 1), _w(dlo, dhi, 2), _w(dlo, dhi, 3)
    n3 = v_hi(c, rn) >> U(32)
    wj = _w(v_lo(c, rm), v_hi(c, rm), imm2)
    if op == SM3TT1A or op == SM3TT2A:
        t = d1 ^ d3 ^ d2
    elif op == SM3TT1B:
        t = (d3 & d1) | (d3 & d2) | (d1 & d2)
    else:
        t = (d3 & d2) | (~d3 & d1 & M32)
    if op <= SM3TT1B:
        t = (t + d0 + (n3 ^ rol32(d3, 12)) + wj) & M32
        lo, hi = _pack(d1, rol32(d2, 9), d3, t)
    else:
        t = (t + d0 + n3 + wj) & M32
        lo, hi = _pack(d1, rol32(d2, 19), d3, t ^ rol32(t, 9) ^ rol32(t, 17))
    set_v(c, rd, lo, hi)
