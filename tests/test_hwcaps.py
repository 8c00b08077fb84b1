"""What the CPU advertises is what it implements.

tests/guest/bin/hwcaps prints AT_HWCAP/AT_HWCAP2, the ID registers Linux lets EL0 read, and the
result of one instruction of each advertised feature. The HWCAPs are checked against the ID
registers with Linux's rules (arch/arm64/kernel/cpufeature.c, written out here from the Arm ARM
field definitions, not taken from nbemu), the same derivation is checked on qemu-aarch64's CPU
models, and each feature's result is checked against qemu-aarch64's."""
import subprocess

import pytest

from conftest import GUEST, run_nbemu_cli

HWCAPS = GUEST / 'bin' / 'hwcaps'
MODELS = ['max', 'cortex-a53', 'cortex-a57', 'cortex-a72', 'neoverse-n1']
HWCAP_ATOMICS = 1 << 8
LSE_MODELS = {'max', 'neoverse-n1'}
# HWCAP bits of the Cryptographic extension, DotProd and FlagM, and the models of qemu-aarch64
# 7.2 that have them (its ID_AA64ISAR0_EL1: 0x11120 on the Cortex-A cores, 0x100010211120 on
# neoverse-n1, 0x1021111110212120 on max)
HWCAP_MODELS = {
    3: set(MODELS), 4: set(MODELS), 5: set(MODELS), 6: set(MODELS),   # AES PMULL SHA1 SHA2
    9: {'max', 'neoverse-n1'}, 10: {'max', 'neoverse-n1'},            # FPHP ASIMDHP
    20: {'max', 'neoverse-n1'},                                       # ASIMDDP
    17: {'max'}, 18: {'max'}, 19: {'max'}, 21: {'max'}, 27: {'max'},  # SHA3 SM3 SM4 SHA512 FLAGM
    30: {'max'}, 31: {'max'},                                         # PACA PACG
    14: {'max'},                                                      # FCMA
}
ENV = {'PATH': '/usr/bin:/bin', 'LANG': 'C'}

# (register, lsb, minimum value, AT_HWCAP bit or ('hwcap2', bit)); signed fields marked below
HWCAP_RULES = [
    ('ID_AA64PFR0_EL1', 16, 0, 0),      # FP (signed: 0xF = none)
    ('ID_AA64PFR0_EL1', 16, 1, 9),      # FPHP
    ('ID_AA64PFR0_EL1', 20, 0, 1),      # ASIMD (signed)
    ('ID_AA64PFR0_EL1', 20, 1, 10),     # ASIMDHP
    ('ID_AA64PFR0_EL1', 32, 1, 22),     # SVE
    ('ID_AA64PFR0_EL1', 48, 1, 24),     # DIT
    ('ID_AA64PFR1_EL1', 0, 1, ('hwcap2', 17)),     # BTI
    ('ID_AA64PFR1_EL1', 4, 2, 28),      # SSBS (SSBS2: MSR/MRS SSBS)
    ('ID_AA64PFR1_EL1', 8, 2, ('hwcap2', 18)),     # MTE (MTE2)
    ('ID_AA64ISAR0_EL1', 4, 1, 3),      # AES
    ('ID_AA64ISAR0_EL1', 4, 2, 4),      # PMULL
    ('ID_AA64ISAR0_EL1', 8, 1, 5),      # SHA1
    ('ID_AA64ISAR0_EL1', 12, 1, 6),     # SHA2
    ('ID_AA64ISAR0_EL1', 12, 2, 21),    # SHA512
    ('ID_AA64ISAR0_EL1', 16, 1, 7),     # CRC32
    ('ID_AA64ISAR0_EL1', 20, 2, 8),     # ATOMICS
    ('ID_AA64ISAR0_EL1', 28, 1, 12),    # ASIMDRDM
    ('ID_AA64ISAR0_EL1', 32, 1, 17),    # SHA3
    ('ID_AA64ISAR0_EL1', 36, 1, 18),    # SM3
    ('ID_AA64ISAR0_EL1', 40, 1, 19),    # SM4
    ('ID_AA64ISAR0_EL1', 44, 1, 20),    # ASIMDDP
    ('ID_AA64ISAR0_EL1', 48, 1, 23),    # ASIMDFHM
    ('ID_AA64ISAR0_EL1', 52, 1, 27),    # FLAGM
    ('ID_AA64ISAR0_EL1', 52, 2, ('hwcap2', 7)),    # FLAGM2
    ('ID_AA64ISAR0_EL1', 60, 1, ('hwcap2', 16)),   # RNG
    ('ID_AA64ISAR1_EL1', 0, 1, 16),     # DCPOP
    ('ID_AA64ISAR1_EL1', 0, 2, ('hwcap2', 0)),     # DCPODP
    ('ID_AA64ISAR1_EL1', 4, 1, 30),     # PACA (APA: PAuth with QARMA5)
    ('ID_AA64ISAR1_EL1', 8, 1, 30),     # PACA (API: PAuth with an IMPDEF algorithm)
    ('ID_AA64ISAR1_EL1', 24, 1, 31),    # PACG (GPA)
    ('ID_AA64ISAR1_EL1', 28, 1, 31),    # PACG (GPI)
    ('ID_AA64ISAR1_EL1', 12, 1, 13),    # JSCVT
    ('ID_AA64ISAR1_EL1', 16, 1, 14),    # FCMA
    ('ID_AA64ISAR1_EL1', 20, 1, 15),    # LRCPC
    ('ID_AA64ISAR1_EL1', 20, 2, 26),    # ILRCPC
    ('ID_AA64ISAR1_EL1', 32, 1, ('hwcap2', 8)),    # FRINT
    ('ID_AA64ISAR1_EL1', 36, 1, 29),    # SB
    ('ID_AA64ISAR1_EL1', 44, 1, ('hwcap2', 14)),   # BF16
    ('ID_AA64ISAR1_EL1', 48, 1, ('hwcap2', 15)),   # DGH
    ('ID_AA64ISAR1_EL1', 52, 1, ('hwcap2', 13)),   # I8MM
]
SIGNED = {('ID_AA64PFR0_EL1', 16), ('ID_AA64PFR0_EL1', 20)}
HWCAP_CPUID = 1 << 11       # Linux emulates EL0 reads of the ID registers
# AT_HWCAP bits the rules above decide (CPUID is always set by Linux; the others, e.g.
# EVTSTRM, USCAT, come from registers this program does not print; PACA/PACG also from
# ID_AA64ISAR2_EL1.APA3/GPA3, which are 0 on every model here)
RULE_BITS = {b for *_, b in HWCAP_RULES if isinstance(b, int)} | {11}
RULE_BITS2 = {b[1] for *_, b in HWCAP_RULES if not isinstance(b, int)}
# HWCAP_DIT, HWCAP_SSBS and HWCAP2_DGH: linux-user's elfload.c in qemu 7.2 never sets them
QEMU_OMITS, QEMU_OMITS2 = {24, 28}, {15}


def parse(out):
    """{name: value} from the 'NAME 0x...' lines, and the feature result lines."""
    regs, results = {}, []
    for line in out.decode().splitlines():
        name, _, value = line.partition(' ')
        if name.startswith(('AT_', 'ID_')):
            regs[name] = int(value, 0)
        else:
            results.append(line)
    return regs, results


def hwcaps_from_id_registers(regs):
    hw, hw2 = HWCAP_CPUID, 0
    for reg, lsb, minimum, bit in HWCAP_RULES:
        field = (regs[reg] >> lsb) & 0xF
        if (reg, lsb) in SIGNED and field >= 8:
            field -= 16
        if field >= minimum:
            if isinstance(bit, int):
                hw |= 1 << bit
            else:
                hw2 |= 1 << bit[1]
    return hw, hw2


def masked(value, bits):
    return value & sum(1 << b for b in bits)


def run_qemu(qemu, cpu):
    return subprocess.run([qemu, '-cpu', cpu, str(HWCAPS)], capture_output=True, env=ENV,
                          stdin=subprocess.DEVNULL, timeout=120)


@pytest.mark.parametrize('cpu', MODELS)
def test_derivation_agrees_with_qemu_models(qemu, cpu):
    """The rules above give qemu-aarch64's own HWCAPs from its ID registers, except those
    qemu-aarch64 7.2 does not pass on although its CPUs have the fields (Linux does)."""
    regs, _ = parse(run_qemu(qemu, cpu).stdout)
    hw, hw2 = hwcaps_from_id_registers(regs)
    bits, bits2 = RULE_BITS - QEMU_OMITS, RULE_BITS2 - QEMU_OMITS2
    assert masked(regs['AT_HWCAP'], bits) == masked(hw, bits)
    assert masked(regs['AT_HWCAP2'], bits2) == masked(hw2, bits2)


def run_nbemu(cpu, prog=HWCAPS):
    return run_nbemu_cli(['--jit=off'] + (['-cpu', cpu] if cpu else []) + [str(prog)], env=ENV)


@pytest.mark.parametrize('cpu', MODELS + [None])
def test_nbemu_advertises_what_its_id_registers_say(cpu, cache_dir):
    """Under every model (and with no -cpu), AT_HWCAP/AT_HWCAP2 are exactly what Linux derives
    from the ID registers the program reads; LSE (ID_AA64ISAR0.Atomic = 2, HWCAP_ATOMICS) only
    where the model has it."""
    r = run_nbemu(cpu)
    assert r.returncode == 0, r.stderr.decode(errors='replace')
    regs, _ = parse(r.stdout)
    assert regs['AT_HWCAP'] & HWCAP_CPUID
    hw, hw2 = hwcaps_from_id_registers(regs)
    assert regs['AT_HWCAP'] == hw           # nothing advertised beyond the ID registers
    assert regs['AT_HWCAP2'] == hw2
    has_lse = (cpu or 'max') in LSE_MODELS
    assert bool(regs['AT_HWCAP'] & HWCAP_ATOMICS) == has_lse
    assert ((regs['ID_AA64ISAR0_EL1'] >> 20) & 0xF) == (2 if has_lse else 0)
    for bit, models in HWCAP_MODELS.items():
        assert bool(regs['AT_HWCAP'] >> bit & 1) == ((cpu or 'max') in models), (cpu, bit)
    assert bool(regs['AT_HWCAP2'] >> 7 & 1) == ((cpu or 'max') == 'max')      # FLAGM2
    for bit in (13, 14):        # I8MM, BF16: only max has ID_AA64ISAR1.I8MM and BF16 = 1
        assert bool(regs['AT_HWCAP2'] >> bit & 1) == ((cpu or 'max') == 'max'), (cpu, bit)
    assert ((regs['ID_AA64ISAR1_EL1'] >> 44) & 0xF0F) == (0x101 if (cpu or 'max') == 'max'
                                                          else 0)


@pytest.mark.parametrize('cpu', MODELS)
def test_model_is_qemus_restricted(qemu, cpu, cache_dir):
    """Each nbemu model is qemu-aarch64's model of that name with features removed, never
    added: every HWCAP bit nbemu sets, qemu sets (but for the ones qemu omits, QEMU_OMITS), and
    no ID register field is higher than
    qemu's (the FP/AdvSIMD fields are signed: 0 = present, 1 = with FP16, 0xF = absent)."""
    regs, _ = parse(run_nbemu(cpu).stdout)
    ref, _ = parse(run_qemu(qemu, cpu).stdout)
    omits = sum(1 << b for b in QEMU_OMITS)
    omits2 = sum(1 << b for b in QEMU_OMITS2)
    assert regs['AT_HWCAP'] & ~(ref['AT_HWCAP'] | omits) == 0
    assert regs['AT_HWCAP2'] & ~(ref['AT_HWCAP2'] | omits2) == 0
    for name in ('ID_AA64PFR0_EL1', 'ID_AA64ISAR0_EL1', 'ID_AA64ISAR1_EL1'):
        for lsb in range(0, 64, 4):
            mine, theirs = (regs[name] >> lsb) & 0xF, (ref[name] >> lsb) & 0xF
            if (name, lsb) in SIGNED:
                mine, theirs = (mine + 1) & 0xF, (theirs + 1) & 0xF     # absent (0xF) lowest
            assert mine <= theirs, (cpu, name, lsb)


def test_lse_program_sigill_without_lse(qemu, cache_dir):
    """A real -march=armv8.1-a binary: under cortex-a53 (no FEAT_LSE) its first LSE instruction
    is SIGILL in nbemu, as in qemu-aarch64; under max it runs and prints what qemu prints."""
    prog = GUEST / 'bin' / 'atomics_lse'
    r = run_nbemu('cortex-a53', prog)
    ref = subprocess.run([qemu, '-cpu', 'cortex-a53', str(prog)], capture_output=True, env=ENV,
                         stdin=subprocess.DEVNULL, timeout=120)
    assert r.returncode == ref.returncode == -4, r.stderr.decode(errors='replace')
    assert b'illegal instruction' in r.stderr and b'(ld' in r.stderr     # an LD<op> atomic
    assert r.stdout == ref.stdout
    r = run_nbemu('max', prog)
    ref = subprocess.run([qemu, '-cpu', 'max', str(prog)], capture_output=True, env=ENV,
                         stdin=subprocess.DEVNULL, timeout=120)
    assert r.returncode == ref.returncode == 0, r.stderr.decode(errors='replace')
    assert r.stdout == ref.stdout and b'caspal' in r.stdout


def test_advertised_features_compute_what_qemu_computes(qemu, cache_dir):
    """qemu's max CPU has every feature nbemu advertises, so each result nbemu prints must be
    in qemu's output. DC CVAP is the exception: qemu-aarch64 7.2 user mode advertises DCPOP but
    raises SIGILL on it (the program probes it last); Linux runs it at EL0 as a cache clean."""
    r = run_nbemu_cli(['--jit=off', str(HWCAPS)], env=ENV)
    assert r.returncode == 0, r.stderr.decode(errors='replace')
    _, mine = parse(r.stdout)
    _, ref = parse(run_qemu(qemu, 'max').stdout)
    assert len(mine) >= 4           # FP, ASIMD, CRC32 at least: glibc-era Armv8.0 with CRC
    for line in mine:
        if line == 'dc cvap ok':
            continue
        assert line in ref


@pytest.mark.parametrize('cpu', MODELS)
def test_model_features_compute_what_qemu_computes(qemu, cpu, cache_dir):
    """Under each model nbemu prints the result of exactly the feature instructions qemu-aarch64
    prints under that model (its crypto, DotProd, FlagM, FCMA, I8MM and BF16 lines included), with
    qemu's values.
    DC CVAP is the exception, as above."""
    r = run_nbemu(cpu)
    assert r.returncode == 0, r.stderr.decode(errors='replace')
    _, mine = parse(r.stdout)
    _, ref = parse(run_qemu(qemu, cpu).stdout)
    mine = [line for line in mine if line != 'dc cvap ok']
    assert mine == ref
    names = {line.split(' ')[0] for line in mine}
    assert {'aese', 'pmull', 'sha1c', 'sha256h'} <= names
    assert ('sdot' in names) == (cpu in HWCAP_MODELS[20])
    assert ({'fphp', 'asimdhp'} <= names) == (cpu in HWCAP_MODELS[9])
    assert ({'sha512h', 'eor3', 'sm3ss1', 'sm4e', 'flagm', 'flagm2'} <= names) == (cpu == 'max')
    assert ({'smmla', 'usdot', 'sudot', 'bfdot', 'bfmmla', 'bfmlalt', 'bfcvt', 'fcmla',
             'fcadd'} <= names) == \
        (cpu == 'max')


def test_pauth_program_sigill_without_pauth(qemu, cache_dir):
    """tests/guest/bin/pauth (-mbranch-protection=standard) under cortex-a72, which has no
    FEAT_PAuth: its PACIASP/AUTIASP are hint-space NOPs, so it runs up to its first PACIA, which
    is SIGILL in nbemu as in qemu-aarch64 (its buffered stdout is lost in both)."""
    prog = GUEST / 'bin' / 'pauth'
    r = run_nbemu('cortex-a72', prog)
    ref = subprocess.run([qemu, '-cpu', 'cortex-a72', str(prog)], capture_output=True, env=ENV,
                         stdin=subprocess.DEVNULL, timeout=120)
    assert r.returncode == ref.returncode == -4, r.stderr.decode(errors='replace')
    assert b'illegal instruction' in r.stderr and b'paci' in r.stderr
    assert r.stdout == ref.stdout
