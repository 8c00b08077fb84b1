"""qemu-style `-d` logging: in_asm, op, exec, cpu, page."""
from .gen.disas import disas_word
from .gen.emit import tb_source
from .core import cpu


def _perm_str(prot):
    return ''.join(ch if prot & bit else '-' for ch, bit in (('r', 1), ('w', 2), ('x', 4)))


def format_cpu(state):
    regs = state['x'][0]
    lines = [f"PC={int(state['pc'][0]):016x} X00={int(regs[0]):016x} X01={int(regs[1]):016x}"]
    for i in range(2, 31, 4):
        lines.append(' '.join(f'X{j:02d}={int(regs[j]):016x}' for j in range(i, min(i + 4, 31))))
    f = int(state['nzcv'][0]) >> 28
    flags = ''.join(ch if f & (8 >> k) else '-' for k, ch in enumerate('NZCV'))
    lines.append(f"SP={int(state['sp'][0]):016x} PSTATE={f << 28:08x} {flags} EL0t")
    return '\n'.join(lines) + '\n'


def attach_debug_logging(emu, items, log):
    m = emu.machine
    want_asm, want_op = 'in_asm' in items, 'op' in items
    if 'page' in items:
        log.write('Guest memory map:\nstart            end              size             prot\n')
        for start, end, prot in m.mem.regions():
            log.write(f'{start:016x}-{end:016x} {end - start:016x} {_perm_str(prot)}\n')
    if want_asm or want_op:
        def on_translate(tb):
            if want_asm:
                log.write('----------------\nIN: \n')
                for i in tb.insns:
                    log.write(f'0x{i.pc:016x}:  {i.word:08x}      {disas_word(i.word, i.pc)}\n')
                log.write('\n')
            if want_op:
                log.write(f'OP (generated Python) for TB at 0x{tb.pc:x}:\n{tb_source(tb)}\n')
        m.on_translate = on_translate
    if 'exec' in items or 'cpu' in items:
        def on_exec(pc):
            if 'cpu' in items:
                log.write(format_cpu(m.state))
            if 'exec' in items:
                log.write(f'Trace 0: 0x0 [00000000/{pc:016x}/00000000/00000000] \n')
        m.on_tb_exec = on_exec


__all__ = ['attach_debug_logging', 'format_cpu', 'cpu']
