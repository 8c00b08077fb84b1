"""FEAT_PAuth against Unicorn (its max CPU has Armv8.3 PAuth with the architected QARMA5, as
qemu-aarch64 7.2's max) and against the QARMA paper's test vector.

Unicorn runs at EL1; the harness enables PAuth there as Linux does for EL0 (keys, SCTLR_EL1.En*,
TCR_EL1 with 48-bit VAs and TBI0) whenever a sequence holds a PAuth encoding, and gives both
sides the same fixed keys (harness.PAC_KEYS).

Classes: the data-processing forms alone (PAC*/AUT*/XPAC*/PACGA, every register and key, on
pointer-shaped and random values); signing followed by authentication with the same or another
key or modifier (so both the success and the error-code paths run); the hint-space forms; the
authenticating branches after a signing instruction (the target is compared, including the
error-code bits of a failed authentication); LDRAA/LDRAB of a signed and of an unsigned pointer.
"""
import random

import numpy as np
import pytest
from hypothesis import strategies as st

from nbemu.gen.decode import decoder
from nbemu.gen.sem import pauth
from tests.isa.encoding import Form, cases
from tests.isa import harness
from tests.isa.harness import (CACHE, CODE, DATA, DATA_SIZE, Start, check, run_class,
                               run_nbemu, run_unicorn)

MODES = ('off', 'all')
NOP = 0xD503201F


def pointer(r):
    """A value shaped like a pointer: user (48-bit), tagged user, signed-looking, upper half,
    all ones/zero, or random."""
    k = r.randrange(7)
    low = r.getrandbits(48)
    if k == 0:
        return low
    if k == 1:
        return r.getrandbits(8) << 56 | low
    if k == 2:
        return r.getrandbits(7) << 48 | low
    if k == 3:
        return 0xFFFF << 48 | low
    if k == 4:
        return r.choice([0, 2**64 - 1, 1 << 55, (1 << 55) - 1])
    if k == 5:
        return DATA + r.randrange(0, DATA_SIZE, 8)
    return r.getrandbits(64)


def make_start(r):
    return Start(x=[pointer(r) for _ in range(31)], sp=pointer(r) & ~15,
                 nzcv=r.randrange(16) << 28, pauth=True)


def dp1(z, aut, d, b, rn, rd):
    """1 1 0 11010110 00001 00 Z AUT D B Rn Rd"""
    return 0xDAC10000 | z << 13 | aut << 12 | d << 11 | b << 10 | rn << 5 | rd


CLASSES = {
    # PACIA PACIB PACDA PACDB AUTIA AUTIB AUTDA AUTDB and their Z forms (Rn must be 11111: the
    # off-list draws give the unallocated neighbours)
    'pac_aut': [Form('1 1 0 11010110 00001 00 0 aut:1 d:1 b:1 rn:5 rd:5'),
                Form('1 1 0 11010110 00001 00 1 aut:1 d:1 b:1 rn:5 rd:5', rn=[31])],
    # XPACI XPACD (Rn must be 11111)
    'xpac': [Form('1 1 0 11010110 00001 01000 d:1 rn:5 rd:5', rn=[31])],
    'pacga': [Form('1 0 0 11010110 rm:5 001100 rn:5 rd:5')],
    # PAC*1716/AUT*1716 (CRm 0001, op2 even), PAC*Z/PAC*SP/AUT*Z/AUT*SP (CRm 0011), XPACLRI
    'hints': [Form('11010101 00000011 0010 0001 op2:3 11111', op2=[0, 2, 4, 6]),
              Form('11010101 00000011 0010 0011 op2:3 11111'),
              Form('11010101 00000011 0010 0000 111 11111')],
}


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('cls', sorted(CLASSES))
def test_class(cls, mode):
    run_class(f'pauth.{cls}', mode, cases(CLASSES[cls], make_start))


def _sign_then_auth(seed):
    """PAC<k> Xd, Xm then AUT<k'> Xd, Xm': k' == k and m' == m half of the time."""
    r = random.Random(seed)
    d, m = r.sample(range(31), 2)
    k = r.randrange(4)
    z = r.randrange(2)
    k2, m2, z2 = k, m, z
    if r.random() < 0.5:
        k2, m2, z2 = r.choice([(k ^ 1, m, z), (k, r.randrange(32), z), (k, m, z ^ 1)])
    sign = dp1(z, 0, k >> 1, k & 1, 31 if z else m, d)
    auth = dp1(z2, 1, k2 >> 1, k2 & 1, 31 if z2 else m2, d)
    return [sign, auth], make_start(r)


@pytest.mark.parametrize('mode', MODES)
def test_sign_then_authenticate(mode):
    run_class('pauth.sign_auth', mode, st.integers(0, 2**64 - 1).map(_sign_then_auth))


def _hint_pairs(seed):
    """PACIASP/PACIBSP/PACIAZ/PACIBZ/PACIA1716/PACIB1716 then the AUT hint of the same or the
    other key, with SP or X16 changed in between half of the time (ADD SP/X16, #16)."""
    r = random.Random(seed)
    sp_forms = [(0x3F, 0xBF), (0x7F, 0xFF), (0x1F, 0x9F), (0x5F, 0xDF)]   # op2<<5|0x1F, CRm 3
    k = r.randrange(6)
    if k < 4:
        sign, auth = [0xD5032300 | v for v in sp_forms[k]]
        other = 0xD5032300 | sp_forms[k ^ 2][1]
        bump = 0x910043FF                                   # add sp, sp, #16
    else:
        sign, auth = (0xD503211F, 0xD503219F) if k == 4 else (0xD503215F, 0xD50321DF)
        other = 0xD50321DF if k == 4 else 0xD503219F
        bump = 0x91004210                                   # add x16, x16, #16
    words = [sign, auth]
    if r.random() < 0.3:
        words[1] = other
    if r.random() < 0.3:
        words.insert(1, bump)
    return words, make_start(r)


@pytest.mark.parametrize('mode', MODES)
def test_hint_sign_then_authenticate(mode):
    run_class('pauth.hint_pairs', mode, st.integers(0, 2**64 - 1).map(_hint_pairs))


def _branch(seed):
    """PACIA/PACIB X<n>, X<m> (or the Z form, or PACIASP/PACIBSP for RET) and then BRA*,
    BLRA*, RETA* with the same key (70%) or the other one; the target is a code address."""
    r = random.Random(seed)
    n, m = r.sample(range(1, 30), 2)
    key = r.randrange(2)
    key2 = key if r.random() < 0.7 else key ^ 1
    withmod = r.randrange(2)
    kind = r.randrange(3)                                   # BR, BLR, RET
    x = [pointer(r) for _ in range(31)]
    if kind == 2:
        sign = 0xD503233F | key << 6                         # PACIASP / PACIBSP
        br = 0xD65F0BFF | key2 << 10                         # RETAA / RETAB
        x[30] = CODE + 4 * r.randrange(16)
    else:
        # PACIA/PACIB Xn, Xm with BRA*/BLRA* (Z=1, modifier Rm), or PACIZA/PACIZB Xn with
        # BRA*Z/BLRA*Z (Z=0, Rm=11111)
        sign = dp1(1 - withmod, 0, 0, key, m if withmod else 31, n)
        br = (0xD61F0800 | withmod << 24 | kind << 21 | key2 << 10 | n << 5 |
              (m if withmod else 31))
        x[n] = CODE + 4 * r.randrange(16)
    return [sign, br], Start(x=x, sp=(CODE + 0x800) if r.random() < 0.5 else pointer(r) & ~15,
                             pauth=True)


def _check_branch(words, s, mode, cls):
    """As harness.check (whose diff compares the pc too), with two faults allowed for. A branch through a pointer that failed to
    authenticate lands outside the code page: Unicorn then also tries to fetch there (a
    prefetch abort), while the harness stops nbemu when the pc leaves the code; such an example
    counts as faulted when every register, the pc with its error-code bits included, agrees."""
    a = run_nbemu(words, s, mode, CACHE)
    b = run_unicorn(words, s)
    k = harness.stats_for(cls)
    k.examples += 1
    k.words.add(tuple(words))
    fetch_fault = (a['outcome'] == 'ran' and b['fault'] and a['pc'] == b['pc'] and
                   not CODE <= a['pc'] < CODE + 0x1000)
    # a load through a pointer that failed to authenticate: its address has error-code bits
    # above bit 47, which Unicorn reports as an abort without a memory event (the harness's
    # SIGBUS); Linux (and nbemu) give SIGSEGV at that address
    bad_address = (a['outcome'] == 'SIGSEGV' and b['outcome'] == 'SIGBUS' and
                   (a['addr'] >> 48) & 0xFF != 0)
    fetch_fault = fetch_fault or bad_address
    if fetch_fault:
        b = dict(b, outcome=a['outcome'], addr=a['addr'])
    d = harness.diff(a, b)
    if d:
        k.mismatch_words.add(tuple(words))
        raise AssertionError(f'{[hex(w) for w in words]}\n{d}\n{s!r}')
    if fetch_fault:
        k.both_fault += 1
    else:
        k.both_ran += 1


@pytest.mark.parametrize('mode', MODES)
def test_authenticated_branches(mode):
    run_class('pauth.branch', mode, st.integers(0, 2**64 - 1).map(_branch),
              check_fn=_check_branch, floor=0.5)


def _ldra(seed):
    """PACDZA/PACDZB X<n> (or nothing: an unsigned pointer fails) then LDRAA/LDRAB X<t>,
    [X<n>, #imm]{!} on a data address."""
    r = random.Random(seed)
    n, t = r.sample(range(0, 31), 2)
    key = r.randrange(2)
    key2 = key if r.random() < 0.8 else key ^ 1
    imm = r.randrange(-64, 64)
    w = r.randrange(2)
    x = [pointer(r) for _ in range(31)]
    x[n] = DATA + 0x800 + r.randrange(0, 0x400, 8)
    off = imm & 0x3FF
    ldr = 0xF8200400 | key2 << 23 | (off >> 9) << 22 | (off & 0x1FF) << 12 | w << 11 | n << 5 | t
    words = [ldr]
    if r.random() < 0.8:
        words.insert(0, dp1(1, 0, 1, key, 31, n))            # PACDZA/PACDZB Xn
    data = bytes(r.getrandbits(8) for _ in range(DATA_SIZE))
    # SP 0: Unicorn's QEMU 5.0 authenticates with SP as the modifier where the Arm ARM has
    # X[31] (zero); test_ldraa_modifier_is_zero pins nbemu's zero with another SP
    return words, Start(x=x, data=data, sp=0, pauth=True)


@pytest.mark.parametrize('mode', MODES)
def test_ldraa_ldrab(mode):
    run_class('pauth.ldra', mode, st.integers(0, 2**64 - 1).map(_ldra), floor=0.4,
              check_fn=_check_branch)


def test_ldraa_modifier_is_zero():
    """LDRAA authenticates with modifier zero whatever SP holds (Arm ARM: AuthDA(address,
    X[31])), so a PACDZA-signed pointer loads."""
    data = bytes(range(256)) * (DATA_SIZE // 256)
    x = [0] * 31
    x[1] = DATA + 0x100
    s = Start(x=x, data=data, sp=DATA + 0x1000, pauth=True)
    r = run_nbemu([dp1(1, 0, 1, 0, 31, 1), 0xF8200420], s, cache_dir=CACHE)  # pacdza; ldraa
    assert r['outcome'] == 'ran' and r['x'][0] == int.from_bytes(data[0x100:0x108], 'little')


# ----- QARMA5 and the layout, without Unicorn -----
def test_qarma5_paper_test_vector():
    """QARMA-64 with sigma2 and 5 rounds (Avanzi, "The QARMA Block Cipher Family", test vector:
    P, T, w0, k0) is ComputePAC with key0 = w0 (the key's high word) and key1 = k0."""
    U = np.uint64
    c = pauth.compute_pac(U(0xFB623599DA6E8127), U(0x477D469DEC0B8762),
                          U(0xEC2802D4E0A488E9), U(0x84BE85CE9804E94B))
    assert int(c) == 0xC003B93999B33765


def test_pacga_of_the_test_vector():
    """PACGA returns the top 32 bits of ComputePAC (harness key GA is the paper's key): nbemu
    and Unicorn both give the test vector's high word."""
    s = Start(x=[0, 0xFB623599DA6E8127, 0x477D469DEC0B8762], pauth=True)
    r = check([0x9AC23020], s, cache_dir=CACHE)                 # pacga x0, x1, x2
    assert r['x'][0] == 0xC003B93900000000


def test_layout_and_error_codes():
    """A signed user pointer keeps its top byte and bit 55 and has its PAC in bits 54:48; a
    failed AUT leaves error code 0b01 (A key) or 0b10 (B key) in bits 54:53; an upper-half
    pointer (no TBI1) carries its PAC in bits 63:56 and 54:48 and its error code in 62:61."""
    U = np.uint64
    lo, hi = U(0x0123456789ABCDEF), U(0xFEDCBA9876543210)
    p = 0x5A00_1234_5678_9ABC
    s = int(pauth.add_pac(U(p), U(7), lo, hi))
    assert s & ~(0x7F << 48) == p and s != p
    assert int(pauth.auth(U(s), U(7), lo, hi, 0)) == p
    assert int(pauth.auth(U(s), U(8), lo, hi, 0)) == p | 1 << 53
    assert int(pauth.auth(U(s), U(8), lo, hi, 1)) == p | 2 << 53
    assert int(pauth.strip(U(s))) == p
    # bad extension bits: the PAC of the extended pointer with its top bit (54) inverted, which
    # then never authenticates
    bad = int(pauth.add_pac(U(p | 1 << 50), U(7), lo, hi))
    assert bad == s ^ 1 << 54
    assert int(pauth.auth(U(bad), U(7), lo, hi, 0)) == p | 1 << 53
    q = 0xFFFF_8000_0000_1000
    sq = int(pauth.add_pac(U(q), U(7), lo, hi))
    assert sq & 0x0080_FFFF_FFFF_FFFF == q & 0x0080_FFFF_FFFF_FFFF
    assert int(pauth.auth(U(sq), U(7), lo, hi, 0)) == q
    assert int(pauth.auth(U(sq), U(8), lo, hi, 0)) == q & ~(3 << 61) | 1 << 61


PAUTH_WORDS = {
    'pacia x1, x2': 0xDAC10041, 'autdzb x3': 0xDAC13FE3, 'xpaci x4': 0xDAC143E4,
    'pacga x0, x1, x2': 0x9AC23020, 'braa x1, x2': 0xD71F0822, 'blraaz x1': 0xD63F083F,
    'retaa': 0xD65F0BFF, 'retab': 0xD65F0FFF, 'ldraa x0, [x1]': 0xF8200420,
}
HINT_WORDS = {'paciasp': 0xD503233F, 'autibsp': 0xD50323FF, 'pacia1716': 0xD503211F,
              'xpaclri': 0xD50320FF}


@pytest.mark.parametrize('model', ['cortex-a53', 'cortex-a72', 'neoverse-n1'])
def test_gated_to_models_with_pauth(model):
    """Without FEAT_PAuth the non-hint encodings are UNDEFINED and the hint-space ones are
    HINT (NOP); under max they decode as PAuth."""
    dec, mx = decoder(model), decoder('max')
    for name, w in PAUTH_WORDS.items():
        assert dec.decode(w, CODE)[0] is None, name
        assert mx.decode(w, CODE)[0] is not None, name
    for name, w in HINT_WORDS.items():
        assert dec.decode(w, CODE)[0].name == 'HINT', name
        assert mx.decode(w, CODE)[0].name != 'HINT', name
