"""Translation-time handles a tb_trans callback gets: the TB and its instructions.

They are valid only while the callback runs (QEMU's rule): afterwards every use raises
PluginUsageError instead of describing a TB that may no longer exist.
"""


class PluginUsageError(RuntimeError):
    """A plugin used the API wrongly (a handle outside its callback, a bad argument)."""


class SetPC(BaseException):
    """Raised by set_pc to leave the callback that called it (QEMU's set_pc does not return):
    a BaseException, so that a plugin's `except Exception` does not stop it. The callback's
    caller (the native thunk, the syscall path) takes it; it is no error."""

    def __init__(self, vaddr):
        super().__init__(vaddr)
        self.vaddr = vaddr


class TBHandle:
    def __init__(self, tb, host_addr_of):
        self._tb = tb
        self._host_addr_of = host_addr_of
        self.valid = True
        self.insns = [InsnHandle(self, i) for i in range(len(tb.insns))]
        self.exec_regs = []          # (row, gen) of TB-level registrations, in order

    def check(self):
        if not self.valid:
            raise PluginUsageError('a TB handle is valid only inside its tb_trans callback')
        return self._tb


class InsnHandle:
    def __init__(self, tb, index):
        self.tb = tb
        self.index = index
        self.exec_regs = []          # (row, gen) run before the instruction
        self.mem_regs = []           # row specs for its memory accesses

    def insn(self):
        return self.tb.check().insns[self.index]
