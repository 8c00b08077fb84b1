"""FEAT_MTE's Linux ABI (Documentation/arch/arm64/memory-tagging-extension.rst): the tagged
address control of prctl and the asynchronous tag check fault's signal.

PR_SET_TAGGED_ADDR_CTRL takes PR_TAGGED_ADDR_ENABLE, the tag check fault mode (PR_MTE_TCF_SYNC,
PR_MTE_TCF_ASYNC, both: the preferred one, which nbemu takes to be sync as qemu-aarch64 does, or
neither) and the IRG include mask PR_MTE_TAG_MASK (GCR_EL1.Exclude is its complement). They are
per thread (a vCPU word, copied to threads it creates and by fork). PR_GET_TAGGED_ADDR_CTRL
gives back what was set, as Linux does.
"""
import errno

from nbemu.core import cpu
from nbemu.gen import features

from . import abi

PR_SET_TAGGED_ADDR_CTRL, PR_GET_TAGGED_ADDR_CTRL = 55, 56
PR_TAGGED_ADDR_ENABLE = 1 << 0
PR_MTE_TCF_SYNC, PR_MTE_TCF_ASYNC = 1 << 1, 1 << 2
PR_MTE_TCF_MASK = PR_MTE_TCF_SYNC | PR_MTE_TCF_ASYNC
PR_MTE_TAG_SHIFT = 3
PR_MTE_TAG_MASK = 0xFFFF << PR_MTE_TAG_SHIFT
SEGV_MTEAERR, SEGV_MTESERR = 8, 9
_KEEP = ~0xFFFFFFFF                 # mte_ctrl's IRG generator state (bits 63:32)
_REQUESTED_SHIFT = 4                # mte_ctrl bits 6:4: the PR_MTE_TCF bits as given (for GET)


def has_mte(p):
    return p.machine.cpu_model.has(features.MTE2)


def _ctrl(p):
    return int(p.machine.state['mte_ctrl'][0])


def _set_ctrl(p, v):
    p.machine.state['mte_ctrl'] = v & (2**64 - 1)


def prctl(p, option, a2, a3, a4, a5):
    if a3 or a4 or a5:
        return -errno.EINVAL
    if option == PR_GET_TAGGED_ADDR_CTRL:
        if a2:
            return -errno.EINVAL
        ctrl = _ctrl(p)
        ret = PR_TAGGED_ADDR_ENABLE if ctrl & cpu.MTE_TAGGED_ADDR else 0
        if has_mte(p):
            ret |= ((ctrl >> _REQUESTED_SHIFT) & PR_MTE_TCF_MASK)
            ret |= (~ctrl >> cpu.MTE_EXCL_SHIFT & 0xFFFF) << PR_MTE_TAG_SHIFT
        return ret
    valid = PR_TAGGED_ADDR_ENABLE
    if has_mte(p):
        valid |= PR_MTE_TCF_MASK | PR_MTE_TAG_MASK
    if a2 & ~valid:
        return -errno.EINVAL
    tcf = cpu.MTE_TCF_SYNC if a2 & PR_MTE_TCF_SYNC else \
        cpu.MTE_TCF_ASYNC if a2 & PR_MTE_TCF_ASYNC else cpu.MTE_TCF_NONE
    exclude = ~(a2 >> PR_MTE_TAG_SHIFT) & 0xFFFF
    ctrl = _ctrl(p)
    p.mem.untag_pointers = bool(a2 & PR_TAGGED_ADDR_ENABLE)
    _set_ctrl(p, (ctrl & _KEEP) | (ctrl & cpu.MTE_ASYNC_PENDING) | tcf |
              (cpu.MTE_TAGGED_ADDR if a2 & PR_TAGGED_ADDR_ENABLE else 0) |
              (a2 & PR_MTE_TCF_MASK) << _REQUESTED_SHIFT | exclude << cpu.MTE_EXCL_SHIFT)
    return 0


def take_async_fault(p):
    """After an exit from the machine (a syscall, or the exit an asynchronous tag check fault
    requests, standing for Linux's next return to EL0): a pending fault becomes the thread's
    SIGSEGV, SEGV_MTEAERR, si_addr 0 (Linux's send_sig_fault: a blocked SIGSEGV waits)."""
    ctrl = _ctrl(p)
    if ctrl & cpu.MTE_ASYNC_PENDING:
        _set_ctrl(p, ctrl & ~cpu.MTE_ASYNC_PENDING)
        from .signals import siginfo
        p.signals.pending.setdefault(abi.SIGSEGV, siginfo(abi.SIGSEGV, SEGV_MTEAERR, addr=0))
