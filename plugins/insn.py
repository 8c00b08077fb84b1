"""Instruction counts, as QEMU's tests/plugin/insn.c.

    nbemu -d plugin -plugin plugins/insn.py[,inline=on][,sizes=on][,match=PREFIX...] prog

Without options a callback runs before every instruction (and reports a repeated execution of
the same pc); at exit `cpu N insns: C` per vCPU and `total insns: T` (vCPU indices folded
modulo 8 as 7.2's insn.c does with its MAX_CPUS array: a ninth live thread counts as cpu 0). inline=on counts with an
inline add (no call) and prints `insns: T`. sizes=on prints how many instructions of each size
were translated. match=PREFIX (repeatable) reports every execution of an instruction whose
disassembly starts with PREFIX, with the instructions run since the previous match.
"""


MAX_CPUS = 8


def install(api, args):
    inline = sizes = False
    matches = []
    for k, v in args.items():
        if k == 'inline':
            inline = api.bool_parse(k, v)
        elif k == 'sizes':
            sizes = api.bool_parse(k, v)
        elif k.startswith('match'):
            matches.append({'prefix': v, 'hits': 0, 'last': 0, 'delta': 0})
        else:
            raise ValueError(f'option parsing failed: {k}={v}')
    count = api.scoreboard_u64(api.scoreboard_new(8))
    last_pc = {}
    size_counts = {}

    def before(vcpu, pc):
        if pc == last_pc.get(vcpu):
            api.outs(f'detected repeat execution @ 0x{pc:x}\n')
        last_pc[vcpu] = pc
        count.values[vcpu] += 1

    def matched(vcpu, rec):
        m = rec['match']
        rec['hits'] += 1
        icount = count.get(vcpu)
        delta = icount - m['last']
        m['hits'] += 1
        m['delta'] += delta
        m['last'] = icount
        api.outs(f"0x{rec['vaddr']:x}, '{rec['disas']}', {rec['hits']} hits, {m['hits']} match "
                 f"hits, Δ+{delta} since last match, {m['delta'] // m['hits']} avg insns/match\n")

    def tb_trans(tb):
        for i in range(api.tb_n_insns(tb)):
            insn = api.tb_get_insn(tb, i)
            if inline:
                api.register_vcpu_insn_exec_inline_per_vcpu(insn, api.INLINE_ADD_U64, count, 1)
            else:
                api.register_vcpu_insn_exec_cb(insn, before, api.CB_NO_REGS, api.insn_vaddr(insn))
            if sizes:
                sz = api.insn_size(insn)
                size_counts[sz] = size_counts.get(sz, 0) + 1
            if matches:
                disas = api.insn_disas(insn)
                for m in matches:
                    if disas.startswith(m['prefix']):
                        rec = {'match': m, 'vaddr': api.insn_vaddr(insn), 'disas': disas,
                               'hits': 0}
                        api.register_vcpu_insn_exec_cb(insn, matched, api.CB_NO_REGS, rec)

    def at_exit(plugin_id, _udata):
        if sizes:
            out = ''.join(f'len {sz} bytes: {c} insns\n' for sz, c in sorted(size_counts.items()))
        elif inline:
            out = f'insns: {count.sum()}\n'
        else:
            per_cpu = [0] * MAX_CPUS
            for i, c in enumerate(count.values):
                per_cpu[i % MAX_CPUS] += int(c)
            out = ''.join(f'cpu {i} insns: {c}\n' for i, c in enumerate(per_cpu) if c)
            out += f'total insns: {count.sum()}\n'
        api.outs(out)

    api.register_vcpu_tb_trans_cb(tb_trans)
    api.register_atexit_cb(at_exit)
