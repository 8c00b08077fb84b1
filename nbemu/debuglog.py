"""qemu-style `-d` logging: in_asm, op, exec, cpu, page.

in_asm, exec and cpu are a client of the plugin API like any other plugin (a tb_trans callback
that logs the instructions and registers a TB exec callback reading the registers), so they
take the same path through both tiers as instrumentation does and the machine loop has no
logging case of its own. `op` prints the generated code of each TB, which exists only after
every plugin has instrumented it: it stays on the machine's translation hook.

The formats are qemu-aarch64 7.2's: `Trace 0: HOST [CS_BASE/PC/FLAGS/CFLAGS]` (nbemu has no host
TB pointer nor TB flags to show: those fields are zero) and aarch64_cpu_dump_state's register
dump without the SVCR and BTYPE fields (nbemu checks branch targets at the branch and keeps no
PSTATE.BTYPE).
"""
from .gen.disas import disas_word
from .gen.emit import tb_source
from .core import cpu


def _perm_str(prot):
    return ''.join(ch if prot & bit else '-' for ch, bit in (('r', 1), ('w', 2), ('x', 4)))


def format_cpu(pc, x, sp, nzcv):
    """The register dump qemu's `-d cpu` prints before a TB: pc, x[0..30], sp and NZCV."""
    out = [f' PC={pc:016x} ']
    for i in range(31):
        out.append(f'X{i:02d}={x[i]:016x}' + (' ' if (i + 2) % 3 else '\n'))
    out.append(f' SP={sp:016x}\n')
    f = nzcv >> 28
    flags = ''.join(ch if f & (8 >> k) else '-' for k, ch in enumerate('NZCV'))
    out.append(f'PSTATE={nzcv & 0xF0000000:08x} {flags} EL0t\n')
    return ''.join(out)


class DebugLog:
    """The plugin behind `-d in_asm,exec,cpu`: install(api, args) as every plugin has."""

    def __init__(self, items, log):
        self.asm = 'in_asm' in items
        self.exec = 'exec' in items
        self.cpu = 'cpu' in items
        self.log = log
        self.__name__ = '-d logging'      # how plugin errors name it

    def install(self, api, args):
        self.api = api
        regs = {r.name: r.handle for r in api.get_registers()}
        self._x = [regs[f'x{i}'] for i in range(31)]
        self._sp, self._pc, self._cpsr = regs['sp'], regs['pc'], regs['cpsr']
        api.register_vcpu_tb_trans_cb(self._tb_trans)

    def _tb_trans(self, tb):
        api = self.api
        if self.asm:
            lines = ['----------------\nIN: \n']
            for insn in tb.insns:
                word = int.from_bytes(api.insn_data(insn), 'little')
                pc = api.insn_vaddr(insn)
                lines.append(f'0x{pc:08x}:  {word:08x}  {disas_word(word, pc)}\n')
            self.log.write(''.join(lines) + '\n')
        if self.exec or self.cpu:
            api.register_vcpu_tb_exec_cb(tb, self._tb_exec, api.CB_R_REGS, api.tb_vaddr(tb))

    def _reg(self, handle):
        return int.from_bytes(self.api.read_register(handle), 'little')

    def _tb_exec(self, vcpu_index, pc):
        if self.exec:
            self.log.write(f'Trace {vcpu_index}: 0x0 [00000000/{pc:016x}/00000000/00000000] \n')
        if self.cpu:
            self.log.write(format_cpu(self._reg(self._pc), [self._reg(h) for h in self._x],
                                      self._reg(self._sp), self._reg(self._cpsr)))


def attach_debug_logging(emu, items, log):
    """Before run(): the -d items that act while the guest runs (page is printed at once)."""
    m = emu.machine
    if 'page' in items:
        log.write('Guest memory map:\nstart            end              size             prot\n')
        for start, end, prot in m.mem.regions():
            log.write(f'{start:016x}-{end:016x} {end - start:016x} {_perm_str(prot)}\n')
    if items & {'in_asm', 'exec', 'cpu'}:
        emu.load_plugin(DebugLog(items, log))
    if 'op' in items:
        def on_translate(tb):
            log.write(f'OP (generated Python) for TB at 0x{tb.pc:x}:\n{tb_source(tb)}\n')
        m.on_translate = on_translate


__all__ = ['attach_debug_logging', 'format_cpu', 'cpu']
