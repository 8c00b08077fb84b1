"""vCPU state: one structured numpy record per vCPU.

Nopython code addresses the record through its raw address `c` and the byte offsets below
(`OFF_*`), so that interpreter and generated code share one set of helpers. Registers X0-X30 and
SP are consecutive words so that register number 31 in an SP-using operand reads SP directly.
"""
import numpy as np

u8 = np.uint64
STATE_DTYPE = np.dtype([
    ('x', u8, 31), ('sp', u8), ('pc', u8), ('nzcv', u8),
    ('fpcr', u8), ('fpsr', u8), ('tpidr', u8),
    # exclusive monitor: address (or ~0 when clear), size in bytes, value(s) seen by the load
    ('excl_addr', u8), ('excl_size', u8), ('excl_val', u8), ('excl_val2', u8),
    ('icount', u8),
    # the instruction deadline: every tier leaves with EXIT_BUDGET at the first TB end where
    # icount >= icount_limit (the scheduler's quantum); ~0 (never) while there is one thread
    ('icount_limit', u8),
    # why nopython code returned to Python, and the data that goes with it
    ('exit_reason', u8), ('fault_addr', u8), ('exit_info', u8),
    # plugin memory-callback reference while an instrumented instruction runs: first slot + 1
    # (0: none) | slot count << 32, and the generation it was registered in; cleared on every
    # path out of the instruction
    ('memcb_ref', u8), ('memcb_gen', u8),
    # host addresses of this vCPU's memory structures and slow-path entry points
    ('arena', u8), ('arena_size', u8), ('pt_l1', u8), ('pt_l2', u8), ('tlb', u8),
    ('slow_ld', u8), ('slow_st', u8),
    # TB executions that entered tier-1 (compiled) code; --stats and the tier-up tests read it
    ('native_execs', u8),
    # plugins: this vCPU's index, a pending plugin request (reset, uninstall, a callback that
    # raised: the loop leaves at the next TB boundary), the callback table (host address, rows),
    # the memory-report entry point, and the value the access being reported moved (128 bits)
    ('vcpu_index', u8), ('plugin_req', u8), ('cb_table', u8), ('cb_rows', u8),
    ('mem_report', u8), ('memval_lo', u8), ('memval_hi', u8),
    # -d plugin-check: on (1) or off, the table's current generation, the pc of the TB running,
    # and the first violation seen (what: cbtable.CHECK_*, 0 none; slot, generation, pc)
    ('pcheck', u8), ('cb_gen', u8), ('pcheck_tb', u8),
    ('pcheck_what', u8), ('pcheck_slot', u8), ('pcheck_gen', u8), ('pcheck_pc', u8),
    ('v', u8, 64),          # V0-V31: V[n] low half at v[2n], high half at v[2n+1]
    ('scratch', u8, 16),
    # FEAT_PAuth keys (APIAKey, APIBKey, APDAKey, APDBKey, APGAKey; lo then hi word of each),
    # per process: random at exec, inherited by fork, reset by prctl(PR_PAC_RESET_KEYS)
    ('pac_keys', u8, 10),
    # FEAT_MTE: this thread's tag-check control (MTE_* below: TCF, GCR_EL1 exclude mask, a
    # pending asynchronous fault) and the host address of its memory's allocation tags
    ('mte_ctrl', u8), ('mte_tags', u8),
    # FEAT_PAuth keys this thread has disabled (bit k for key k of pac_keys, IA IB DA DB: the
    # complement of SCTLR_EL1.EnIA/EnIB/EnDA/EnDB as prctl(PR_PAC_SET_ENABLED_KEYS) sets them);
    # zero, every key enabled, as at exec
    ('pac_disabled', u8),
    # PSTATE.TCO (bit 25), DIT (bit 24) and SSBS (bit 12), at their SPSR and signal-frame positions
    ('pstate_bits', u8),
    # plugins: 1 while an execution callback registered with CB_RW_REGS runs (it may set_pc)
    ('plugin_ctx', u8),
])
assert STATE_DTYPE.itemsize % 8 == 0


def _off(name):
    return STATE_DTYPE.fields[name][1]


OFF_X = _off('x')
OFF_SP = _off('sp')
OFF_PC = _off('pc')
OFF_NZCV = _off('nzcv')
OFF_FPCR = _off('fpcr')
OFF_FPSR = _off('fpsr')
OFF_TPIDR = _off('tpidr')
OFF_EXCL_ADDR = _off('excl_addr')
OFF_EXCL_SIZE = _off('excl_size')
OFF_EXCL_VAL = _off('excl_val')
OFF_EXCL_VAL2 = _off('excl_val2')
OFF_ICOUNT = _off('icount')
OFF_ICOUNT_LIMIT = _off('icount_limit')
OFF_EXIT = _off('exit_reason')
OFF_FAULT_ADDR = _off('fault_addr')
OFF_EXIT_INFO = _off('exit_info')
OFF_MEMCB_REF = _off('memcb_ref')
OFF_MEMCB_GEN = _off('memcb_gen')
OFF_ARENA = _off('arena')
OFF_ARENA_SIZE = _off('arena_size')
OFF_PT_L1 = _off('pt_l1')
OFF_PT_L2 = _off('pt_l2')
OFF_TLB = _off('tlb')
OFF_SLOW_LD = _off('slow_ld')
OFF_SLOW_ST = _off('slow_st')
OFF_NATIVE_EXECS = _off('native_execs')
OFF_VCPU_INDEX = _off('vcpu_index')
OFF_PLUGIN_REQ = _off('plugin_req')
OFF_CB_TABLE = _off('cb_table')
OFF_CB_ROWS = _off('cb_rows')
OFF_MEM_REPORT = _off('mem_report')
OFF_MEMVAL_LO = _off('memval_lo')
OFF_MEMVAL_HI = _off('memval_hi')
OFF_PCHECK = _off('pcheck')
OFF_CB_GEN = _off('cb_gen')
OFF_PCHECK_TB = _off('pcheck_tb')
OFF_PCHECK_WHAT = _off('pcheck_what')
OFF_PCHECK_SLOT = _off('pcheck_slot')
OFF_PCHECK_GEN = _off('pcheck_gen')
OFF_PCHECK_PC = _off('pcheck_pc')
OFF_V = _off('v')
OFF_SCRATCH = _off('scratch')
OFF_PAC_KEYS = _off('pac_keys')
OFF_MTE_CTRL = _off('mte_ctrl')
OFF_MTE_TAGS = _off('mte_tags')
OFF_PAC_DISABLED = _off('pac_disabled')
OFF_PSTATE_BITS = _off('pstate_bits')
OFF_PLUGIN_CTX = _off('plugin_ctx')
PSTATE_TCO, PSTATE_DIT, PSTATE_SSBS = 1 << 25, 1 << 24, 1 << 12
# mte_ctrl: bits 1:0 tag check fault mode (SCTLR_EL1.TCF0 as Linux sets it from prctl), bit 2
# the tagged address ABI is on, bit 3 an asynchronous tag check fault is pending (TFSRE0_EL1.TF0),
# bits 31:16 the IRG exclude mask (GCR_EL1.Exclude)
MTE_TCF_NONE, MTE_TCF_SYNC, MTE_TCF_ASYNC = 0, 1, 2
MTE_TCF_MASK = 3
MTE_TAGGED_ADDR = 4
MTE_ASYNC_PENDING = 8
MTE_EXCL_SHIFT = 16
assert OFF_SP == OFF_X + 31 * 8

NO_LIMIT = np.uint64(2**64 - 1)     # icount_limit that never fires

# Exit reasons. "Fault" exits leave pc at the instruction that caused them and do not count it;
# "after" exits (syscall, code-page store) count it and leave pc at the next instruction.
EXIT_NONE = 0
EXIT_SYSCALL = 1      # exit_info = SVC immediate
EXIT_SMC = 2          # a store hit a page holding translated code; exit_info = page address
                     # (the lowest such page), fault_addr = the highest such page
EXIT_HOT = 3          # a TB became hot (tier-up request); exit_info = TB slot
EXIT_MISS = 4         # no TB for pc
EXIT_BUDGET = 5       # at a TB end: the loop ran the number of TBs it was asked to (tracing,
                     # host-signal polling), or icount reached icount_limit
EXIT_PLUGIN = 6       # a plugin request is pending (plugin_req): taken at a TB boundary
EXIT_MTE_ASYNC = 7    # an access failed its tag check under asynchronous mode (it completed):
                     # the SIGSEGV SEGV_MTEAERR is due, as at Linux's next return to EL0
EXIT_SETPC = 8        # a plugin's execution callback called set_pc before an instruction: PC is
                     # the target, the instruction did not run and is not counted
FIRST_FAULT = 16
EXIT_SEGV = 16        # fault_addr = address, exit_info = 1 for a write
EXIT_SIGILL = 17      # exit_info = encoding
EXIT_BRK = 18         # exit_info = BRK immediate (SIGTRAP)
EXIT_BUS = 19         # alignment fault (SIGBUS)
EXIT_BTI = 20         # Branch Target exception (SIGILL) at the target of the indirect branch that
                     # raised it: PC is the target, the branch is counted; exit_info = its word


def new_state():
    """A zeroed vCPU record (an array of one record, so its address is stable)."""
    st = np.zeros(1, dtype=STATE_DTYPE)
    st['excl_addr'] = ~np.uint64(0)
    st['icount_limit'] = NO_LIMIT
    return st


def words(st):
    """The state record as a flat uint64 array (for Python-side register access)."""
    return st.view(np.uint64)

# control-flow discontinuities reported to plugins (QEMU 11's qemu_plugin_discon_type)
DISCON_INTERRUPT, DISCON_EXCEPTION, DISCON_HOSTCALL = 1, 2, 4
