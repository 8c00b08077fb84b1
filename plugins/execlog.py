"""An execution log with memory accesses, as QEMU 7.2's contrib/plugins/execlog.c.

    nbemu -d plugin -D log.txt -plugin plugins/execlog.py[,ifilter=PREFIX...][,afilter=ADDR...] prog

One line per executed instruction: `vcpu, 0xpc, 0xopcode, "disassembly"`, then
`, load, 0xADDR` or `, store, 0xADDR` for each of its memory accesses (addresses at least 8 hex
digits). A line is printed when the vCPU's next logged instruction starts (so the accesses are
complete), the last one at exit. ifilter=PREFIX logs only instructions whose disassembly starts
with PREFIX, afilter=ADDR (hex) only the instruction at ADDR; both may be repeated and combine
as alternatives. QEMU 7.2's execlog has no reg= option (it came with 8.x's register API).
"""
import re

_HEX = re.compile(r'\s*(?:0[xX])?([0-9a-fA-F]*)')


def _strtoull16(text):
    """g_ascii_strtoull(text, NULL, 16): leading hex digits (an optional 0x), 0 if none."""
    digits = _HEX.match(text).group(1)
    return int(digits, 16) if digits else 0


def install(api, args):
    imatches, amatches = [], []
    for k, v in args.pairs:
        if k == 'ifilter':
            imatches.append(v)
        elif k == 'afilter':
            amatches.append(_strtoull16(v))
        else:
            raise ValueError(f'option parsing failed: {k}={v}')
    filtering = bool(imatches or amatches)
    last_exec = []      # per vCPU: the line of the instruction running now, with its accesses

    def vcpu_mem(vcpu, info, vaddr, _udata):
        kind = 'store' if api.mem_is_store(info) else 'load'
        last_exec[vcpu].append(f', {kind}, 0x{vaddr:08x}')

    def vcpu_insn_exec(vcpu, text):
        while vcpu >= len(last_exec):
            last_exec.append([])
        s = last_exec[vcpu]
        if s:
            api.outs(''.join(s) + '\n')
        s[:] = [f'{vcpu}, ', text]

    def tb_trans(tb):
        for i in range(api.tb_n_insns(tb)):
            insn = api.tb_get_insn(tb, i)
            disas = api.insn_disas(insn)
            vaddr = api.insn_vaddr(insn)
            if filtering and not (any(disas.startswith(m) for m in imatches) or
                                  vaddr in amatches):
                continue
            opcode = int.from_bytes(api.insn_data(insn)[:4], 'little')
            api.register_vcpu_mem_cb(insn, vcpu_mem, api.CB_NO_REGS, api.MEM_RW)
            api.register_vcpu_insn_exec_cb(insn, vcpu_insn_exec, api.CB_NO_REGS,
                                           f'0x{vaddr:x}, 0x{opcode:x}, "{disas}"')

    def at_exit(_plugin_id, _udata):
        for s in last_exec:
            api.outs(''.join(s) + '\n')

    api.register_vcpu_tb_trans_cb(tb_trans)
    api.register_atexit_cb(at_exit)
