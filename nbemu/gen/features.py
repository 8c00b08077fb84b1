"""CPU models and the one feature table the ID registers, AT_HWCAP/AT_HWCAP2 and the decoder's
gating all derive from.

A model starts from what qemu-aarch64 7.2 (Debian qemu-user) shows a Linux process for that
`-cpu`: MIDR_EL1, CTR_EL0, the ID registers as read with MRS at EL0 (the sanitised user view,
not cpu64.c's raw values) and AT_HWCAP/AT_HWCAP2, measured with a probe program under each model
of the installed qemu-aarch64; neoverse-n1's MIDR, CTR, ISAR0/1 and PFR1 also agree with
aarch64_neoverse_n1_initfn in QEMU's target/arm/cpu64.c. It is then *restricted to what nbemu implements*: every ID register field
nbemu does not know (`FIELDS` below) is cleared and every known one is capped at the level
nbemu implements. What the restriction removes, per model:

- cortex-a53, cortex-a57, cortex-a72: nothing (AES with PMULL, SHA1, SHA256 and CRC32 are all
  implemented: ISAR0 stays 0x11120);
- neoverse-n1: nothing;
- max: SVE, MTE3 (MTE 3 -> 2) and SME; its cache geometry stays Cortex-A72's (CTR_EL0
  0x8444C004, DCZID_EL0 BS=4: 64-byte DC ZVA) where qemu's max has 32-byte lines and a 512-byte DC ZVA block.

The Cryptographic extension (AES, PMULL .1Q, SHA1, SHA256, SHA512, SHA3, SM3, SM4), DotProd and
FlagM/FlagM2 are implemented, each gated by its field as qemu's models set them. So is FEAT_PAuth
as max has it: the architected QARMA5 (ISAR1.APA = 1, and GPA = 1 for PACGA), without PAuth2,
EPAC or FPAC (APA 1 means none of them). FEAT_BTI as max has it (PFR1.BT = 1, HWCAP2_BTI):
guarded pages and the branch-target check (nbemu.gen.sem.bti). FEAT_MTE2 as Linux shows qemu's
max, capped below MTE3 (PFR1.MTE = 2, HWCAP2_MTE): the instructions (nbemu.gen.sem.mte), PROT_MTE
tag storage and the tag checks of prctl's sync and async modes (nbemu.core.tlb.check_tags).
FEAT_FP16 as neoverse-n1 and max have it (PFR0.FP = AdvSIMD = 1, HWCAP_FPHP and HWCAP_ASIMDHP):
every half-precision data-processing encoding (scalar FP with ftype = 3, the AdvSIMD FP16 groups,
the .H by-element, across-lanes, pairwise and fixed-point forms, FMOV .4H/.8H immediate) and
FPCR.FZ16; the conversions between half and single/double (FCVT, FCVTL, FCVTN) and the half
loads and stores are Armv8.0 and decode on every model.
FEAT_I8MM (SMMLA, UMMLA, USMMLA, USDOT, SUDOT) and FEAT_BF16 without EBF16 (ISAR1.BF16 = 1:
BFCVT, BFCVTN, BFDOT, BFMMLA, BFMLALB/T; nbemu.gen.sem.bf16) as max has them, and FEAT_FCMA
(FCMLA, FCADD; their half-precision forms also need FP16). FEAT_RDM (SQRDMLAH, SQRDMLSH) as
neoverse-n1 and max have it (ISAR0.RDM = 1, HWCAP_ASIMDRDM). FEAT_RNG as max has it (ISAR0.RNDR
= 1, HWCAP2_RNG): MRS RNDR and RNDRRS read the host's getrandom(2). FEAT_SSBS2 (neoverse-n1, max)
and FEAT_DIT (max): PSTATE.SSBS and PSTATE.DIT, kept in the vCPU, saved in signal frames and
restored by sigreturn; they change nothing else in an emulator. FEAT_DPB2 (DC CVADP) and DGH
(max): no-ops, like DC CVAP.

Decoder rows name the feature they need (`Pattern(..., feature=LSE)`, as decodetree's
TRANS_FEAT); a model has a feature when its restricted ID register field reaches the feature's
level, so the registers, the HWCAPs and the instructions that decode can never disagree.
"""
from dataclasses import dataclass, field

PFR0, PFR1, ISAR0, ISAR1 = 'ID_AA64PFR0_EL1', 'ID_AA64PFR1_EL1', 'ID_AA64ISAR0_EL1', \
    'ID_AA64ISAR1_EL1'
# the EL0-visible ID registers: name -> (op0, op1, CRn, CRm, op2)
ID_REGS = {
    PFR0: (3, 0, 0, 4, 0), PFR1: (3, 0, 0, 4, 1), 'ID_AA64ZFR0_EL1': (3, 0, 0, 4, 4),
    'ID_AA64SMFR0_EL1': (3, 0, 0, 4, 5), 'ID_AA64DFR0_EL1': (3, 0, 0, 5, 0),
    ISAR0: (3, 0, 0, 6, 0), ISAR1: (3, 0, 0, 6, 1), 'ID_AA64ISAR2_EL1': (3, 0, 0, 6, 2),
    'ID_AA64MMFR0_EL1': (3, 0, 0, 7, 0), 'ID_AA64MMFR1_EL1': (3, 0, 0, 7, 1),
    'ID_AA64MMFR2_EL1': (3, 0, 0, 7, 2),
}

# AT_HWCAP / AT_HWCAP2 bits (arch/arm64/include/uapi/asm/hwcap.h)
HWCAP_FP, HWCAP_ASIMD, HWCAP_CRC32, HWCAP_ATOMICS = 1 << 0, 1 << 1, 1 << 7, 1 << 8
HWCAP_AES, HWCAP_PMULL, HWCAP_SHA1, HWCAP_SHA2 = 1 << 3, 1 << 4, 1 << 5, 1 << 6
HWCAP_CPUID, HWCAP_JSCVT, HWCAP_LRCPC, HWCAP_DCPOP, HWCAP_ILRCPC, HWCAP_SB = (
    1 << 11, 1 << 13, 1 << 15, 1 << 16, 1 << 26, 1 << 29)
HWCAP_SHA3, HWCAP_SM3, HWCAP_SM4, HWCAP_ASIMDDP, HWCAP_SHA512, HWCAP_FLAGM = (
    1 << 17, 1 << 18, 1 << 19, 1 << 20, 1 << 21, 1 << 27)
HWCAP_PACA, HWCAP_PACG = 1 << 30, 1 << 31
HWCAP_FPHP, HWCAP_ASIMDHP = 1 << 9, 1 << 10
HWCAP_FCMA = 1 << 14
HWCAP_ASIMDFHM = 1 << 23
HWCAP_ASIMDRDM = 1 << 12
HWCAP2_FLAGM2, HWCAP2_FRINT, HWCAP2_BTI, HWCAP2_MTE = 1 << 7, 1 << 8, 1 << 17, 1 << 18
HWCAP2_I8MM, HWCAP2_BF16, HWCAP2_RNG = 1 << 13, 1 << 14, 1 << 16
HWCAP2_DCPODP, HWCAP2_DGH = 1 << 0, 1 << 15
HWCAP_DIT, HWCAP_SSBS = 1 << 24, 1 << 28


@dataclass(frozen=True)
class Field:
    """An ID register field nbemu implements up to `top`. hwcaps: level -> AT_HWCAP bits Linux
    sets from that level up (arch/arm64/kernel/cpufeature.c), hwcaps2 likewise AT_HWCAP2. signed: 0xF means "absent" and
    0 "present" (the FP and AdvSIMD fields)."""
    reg: str
    lsb: int
    top: int
    hwcaps: dict = field(default_factory=dict)
    signed: bool = False
    hwcaps2: dict = field(default_factory=dict)

    def get(self, regs):
        v = (regs.get(self.reg, 0) >> self.lsb) & 0xF
        return v - 16 if self.signed and v >= 8 else v


FIELDS = {
    'EL0': Field(PFR0, 0, 1),               # AArch64 at EL0 and EL1: not features, kept as is
    'EL1': Field(PFR0, 4, 1),
    'BT': Field(PFR1, 0, 1, hwcaps2={1: HWCAP2_BTI}),             # FEAT_BTI
    'MTE': Field(PFR1, 8, 2, hwcaps2={2: HWCAP2_MTE}),            # MTE2; not MTE3 (asymmetric)
    # PSTATE.SSBS with MSR (immediate) and, from 2, the SSBS register; PSTATE.DIT. Their HWCAPs
    # (and DGH's) are Linux's: qemu-aarch64 7.2 leaves them out although its ID registers have
    # the fields
    'SSBS': Field(PFR1, 4, 2, {2: HWCAP_SSBS}),
    'DIT': Field(PFR0, 48, 1, {1: HWCAP_DIT}),
    'FP': Field(PFR0, 16, 1, {0: HWCAP_FP, 1: HWCAP_FPHP}, signed=True),      # 1: FP16
    'AdvSIMD': Field(PFR0, 20, 1, {0: HWCAP_ASIMD, 1: HWCAP_ASIMDHP}, signed=True),
    'AES': Field(ISAR0, 4, 2, {1: HWCAP_AES, 2: HWCAP_PMULL}),   # AESE..; 2: PMULL .1Q
    'SHA1': Field(ISAR0, 8, 1, {1: HWCAP_SHA1}),
    'SHA2': Field(ISAR0, 12, 2, {1: HWCAP_SHA2, 2: HWCAP_SHA512}),  # SHA256; 2: SHA512
    'CRC32': Field(ISAR0, 16, 1, {1: HWCAP_CRC32}),
    'Atomic': Field(ISAR0, 20, 2, {2: HWCAP_ATOMICS}),            # FEAT_LSE
    'RDM': Field(ISAR0, 28, 1, {1: HWCAP_ASIMDRDM}),              # SQRDMLAH, SQRDMLSH
    'SHA3': Field(ISAR0, 32, 1, {1: HWCAP_SHA3}),                 # EOR3, RAX1, XAR, BCAX
    'SM3': Field(ISAR0, 36, 1, {1: HWCAP_SM3}),
    'SM4': Field(ISAR0, 40, 1, {1: HWCAP_SM4}),
    'DP': Field(ISAR0, 44, 1, {1: HWCAP_ASIMDDP}),                # SDOT/UDOT
    'FHM': Field(ISAR0, 48, 1, {1: HWCAP_ASIMDFHM}),              # FMLAL, FMLSL (2)
    'RNDR': Field(ISAR0, 60, 1, hwcaps2={1: HWCAP2_RNG}),        # MRS RNDR, RNDRRS
    'TS': Field(ISAR0, 52, 2, {1: HWCAP_FLAGM}, hwcaps2={2: HWCAP2_FLAGM2}),   # FlagM, FlagM2
    'DPB': Field(ISAR1, 0, 2, {1: HWCAP_DCPOP}, hwcaps2={2: HWCAP2_DCPODP}),  # 2: DC CVADP
    'DGH': Field(ISAR1, 48, 1, hwcaps2={1: HWCAP2_DGH}),   # a hint: a NOP, as the Arm ARM allows
    'APA': Field(ISAR1, 4, 1, {1: HWCAP_PACA}),     # PAuth with QARMA5; not PAuth2, FPAC (2+)
    'GPA': Field(ISAR1, 24, 1, {1: HWCAP_PACG}),    # PACGA with QARMA5
    'JSCVT': Field(ISAR1, 12, 1, {1: HWCAP_JSCVT}),               # FJCVTZS
    'FCMA': Field(ISAR1, 16, 1, {1: HWCAP_FCMA}),                 # FCMLA, FCADD
    'LRCPC': Field(ISAR1, 20, 2, {1: HWCAP_LRCPC, 2: HWCAP_ILRCPC}),
    'FRINTTS': Field(ISAR1, 32, 1, hwcaps2={1: HWCAP2_FRINT}),   # FRINT32Z/32X/64Z/64X
    'SB': Field(ISAR1, 36, 1, {1: HWCAP_SB}),
    'BF16': Field(ISAR1, 44, 1, hwcaps2={1: HWCAP2_BF16}),      # not EBF16 (2)
    'I8MM': Field(ISAR1, 52, 1, hwcaps2={1: HWCAP2_I8MM}),
}
# registers that describe no instructions and are passed through as qemu-aarch64 shows them
PASSTHROUGH = ('ID_AA64DFR0_EL1', 'ID_AA64MMFR0_EL1')


@dataclass(frozen=True)
class Feature:
    """An architecture feature (FEAT_*): present when ID field `field` >= `level`."""
    name: str
    field: str
    level: int


CRC32 = Feature('FEAT_CRC32', 'CRC32', 1)
LSE = Feature('FEAT_LSE', 'Atomic', 2)
LRCPC = Feature('FEAT_LRCPC', 'LRCPC', 1)       # LDAPR
LRCPC2 = Feature('FEAT_LRCPC2', 'LRCPC', 2)     # LDAPUR/STLUR
DPB = Feature('FEAT_DPB', 'DPB', 1)             # DC CVAP
DPB2 = Feature('FEAT_DPB2', 'DPB', 2)           # DC CVADP
SB = Feature('FEAT_SB', 'SB', 1)
JSCVT = Feature('FEAT_JSCVT', 'JSCVT', 1)
FRINTTS = Feature('FEAT_FRINTTS', 'FRINTTS', 1)
AES = Feature('FEAT_AES', 'AES', 1)             # AESE, AESD, AESMC, AESIMC
PMULL = Feature('FEAT_PMULL', 'AES', 2)         # PMULL/PMULL2 .1Q
SHA1 = Feature('FEAT_SHA1', 'SHA1', 1)
SHA256 = Feature('FEAT_SHA256', 'SHA2', 1)
SHA512 = Feature('FEAT_SHA512', 'SHA2', 2)
SHA3 = Feature('FEAT_SHA3', 'SHA3', 1)
SM3 = Feature('FEAT_SM3', 'SM3', 1)
SM4 = Feature('FEAT_SM4', 'SM4', 1)
DOTPROD = Feature('FEAT_DotProd', 'DP', 1)
FLAGM = Feature('FEAT_FlagM', 'TS', 1)          # CFINV, RMIF, SETF8, SETF16
FLAGM2 = Feature('FEAT_FlagM2', 'TS', 2)        # AXFLAG, XAFLAG
# PAC*, AUT*, XPAC*, BRA*, BLRA*, RETA*, LDRA*; PACGA too (its GPA field is advertised with APA)
PAUTH = Feature('FEAT_PAuth', 'APA', 1)
# guarded pages (PT_GNU_PROPERTY, PROT_BTI) and the branch-target check; BTI itself is a hint
BTI = Feature('FEAT_BTI', 'BT', 1)
# the instructions (IRG, STG, LDG, ...; nbemu.gen.sem.mte)
MTE = Feature('FEAT_MTE', 'MTE', 1)
# allocation tag storage (PROT_MTE) and tag checks (prctl PR_SET_TAGGED_ADDR_CTRL)
MTE2 = Feature('FEAT_MTE2', 'MTE', 2)
# half-precision scalar FP (ftype = 3) and FPCR.FZ16; the AdvSIMD forms need the AdvSIMD field too
FP16 = Feature('FEAT_FP16', 'FP', 1)
FP16_SIMD = Feature('FEAT_FP16 (AdvSIMD)', 'AdvSIMD', 1)
I8MM = Feature('FEAT_I8MM', 'I8MM', 1)
BF16 = Feature('FEAT_BF16', 'BF16', 1)
FCMA = Feature('FEAT_FCMA', 'FCMA', 1)
FHM = Feature('FEAT_FHM', 'FHM', 1)
RDM = Feature('FEAT_RDM', 'RDM', 1)
RNG = Feature('FEAT_RNG', 'RNDR', 1)
SSBS = Feature('FEAT_SSBS', 'SSBS', 1)
DIT = Feature('FEAT_DIT', 'DIT', 1)
FEATURES = (CRC32, LSE, LRCPC, LRCPC2, DPB, SB, JSCVT, FRINTTS, AES, PMULL, SHA1, SHA256, SHA512,
            SHA3, SM3, SM4, DOTPROD, FLAGM, FLAGM2, PAUTH, BTI, MTE, MTE2, FP16, FP16_SIMD, I8MM,
            BF16, FCMA, FHM, RDM, RNG, SSBS, DIT, DPB2)


def _restrict(qemu_regs):
    """qemu-aarch64's ID register values -> the same values with only what nbemu implements."""
    out = {name: 0 for name in ID_REGS}
    for name in PASSTHROUGH:
        out[name] = qemu_regs.get(name, 0)
    for f in FIELDS.values():
        v = f.get(qemu_regs)
        if f.signed and v < 0:
            keep = 0xF
        else:
            keep = min(v, f.top)
        out[f.reg] |= keep << f.lsb
    return out


class CpuModel:
    def __init__(self, name, midr, ctr, qemu_regs, qemu_hwcap, qemu_hwcap2):
        """midr, ctr, qemu_regs, qemu_hwcap(2): what qemu-aarch64 7.2 shows for `-cpu name`."""
        self.name = name
        self.midr = midr
        self.ctr = ctr
        self.qemu_regs = qemu_regs
        self.qemu_hwcap = qemu_hwcap
        self.qemu_hwcap2 = qemu_hwcap2
        self.id_regs = _restrict(qemu_regs)
        self.features = frozenset(f for f in FEATURES
                                  if FIELDS[f.field].get(self.id_regs) >= f.level)

    def has(self, feature):
        return feature is None or feature in self.features

    def hwcaps(self):
        """(AT_HWCAP, AT_HWCAP2) from the restricted ID registers, by Linux's rules."""
        hw = HWCAP_CPUID            # EL0 reads of the ID registers are emulated, as Linux does
        hw2 = 0
        for f in FIELDS.values():
            v = f.get(self.id_regs)
            for level, bits in f.hwcaps.items():
                if v >= level:
                    hw |= bits
            for level, bits in f.hwcaps2.items():
                if v >= level:
                    hw2 |= bits
        return hw, hw2

    def id_space(self):
        """(op0, op1, CRn, CRm, op2) -> value for the emulated ID registers."""
        return {ID_REGS[n]: v for n, v in self.id_regs.items()}

    def fingerprint(self):
        """A short text that differs between models whose decoding differs (for cache keys)."""
        regs = ','.join(f'{self.id_regs[n]:x}' for n in sorted(self.id_regs))
        return f'{self.name}:{self.midr:x}:{self.ctr:x}:{regs}'

    def __repr__(self):
        return f'CpuModel({self.name})'


_A_CORE = {PFR0: 0x11, ISAR0: 0x11120, 'ID_AA64DFR0_EL1': 0x6, 'ID_AA64MMFR0_EL1': 0xFF000000}
MODELS = {m.name: m for m in [
    CpuModel('cortex-a53', 0x410FD034, 0x84448004, _A_CORE, 0x8FB, 0),
    CpuModel('cortex-a57', 0x411FD070, 0x8444C004, _A_CORE, 0x8FB, 0),
    CpuModel('cortex-a72', 0x410FD083, 0x8444C004, _A_CORE, 0x8FB, 0),
    CpuModel('neoverse-n1', 0x414FD0C1, 0x8444C004,
             {PFR0: 0x110011, PFR1: 0x20, ISAR0: 0x100010211120, ISAR1: 0x100001,
              'ID_AA64DFR0_EL1': 0x6, 'ID_AA64MMFR0_EL1': 0xFF000000}, 0x119FFB, 0),
    # MIDR implementer 0 ("software use"), part 'Q': QEMU's and Unicorn's max
    CpuModel('max', 0x000F0510, 0x8444C004,
             {PFR0: 0x1000100110011, PFR1: 0x1000321, 'ID_AA64ZFR0_EL1': 0x110110100110021,
              'ID_AA64SMFR0_EL1': 0x80F100FD00000000, ISAR0: 0x1021111110212120,
              ISAR1: 0x11101101211012, 'ID_AA64DFR0_EL1': 0x6,
              'ID_AA64MMFR0_EL1': 0xFF000000}, 0xECFFFFFB, 0x7F877FFF),
]}
DEFAULT_MODEL = 'max'       # qemu-aarch64's default, restricted as above


def model(name=None):
    """The CpuModel called `name` (None: the default). Raises KeyError for an unknown name."""
    return MODELS[name or DEFAULT_MODEL]
