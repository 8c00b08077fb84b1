"""System instructions, traps and the undefined-instruction handler."""
from numba import njit

from nbemu.runtime import cpu

from .common import request_exit


@njit
def nop(c):
    pass


@njit
def svc(c, imm):
    request_exit(c, cpu.EXIT_SYSCALL, imm)


@njit
def brk(c, imm):
    request_exit(c, cpu.EXIT_BRK, imm)


@njit
def undefined(c, insn):
    """Unallocated or unimplemented encoding: the guest gets SIGILL."""
    request_exit(c, cpu.EXIT_SIGILL, insn)
