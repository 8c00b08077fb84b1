"""A self-checking plugin, after QEMU's tests/plugin/inline.c (QEMU 9): every TB execution,
instruction execution and memory access is counted three ways, and at exit the three must agree.

    nbemu -d plugin -plugin plugins/inline.py prog

The three ways: a callback adding to a Python counter (`callback`), the same callback adding to
a per-vCPU scoreboard entry (`scoreboard`, through u64_add), and an inline add on another entry
of that scoreboard, run without any call (`inline`). At exit, per event kind:

    tb: N (callback), N (scoreboard), N (inline)

then `inline: counts agree`, or the plugin raises (the run ends with status 1 and the counts).
"""

KINDS = ('tb', 'insn', 'mem')


def install(api, args):
    if args:
        raise ValueError(f'option parsing failed: {next(iter(args))}')
    score = api.scoreboard_new(8 * 2 * len(KINDS))
    by_cb = {k: api.scoreboard_u64_in_struct(score, 16 * i) for i, k in enumerate(KINDS)}
    by_inline = {k: api.scoreboard_u64_in_struct(score, 16 * i + 8) for i, k in enumerate(KINDS)}
    total = dict.fromkeys(KINDS, 0)

    def counter(kind):
        entry = by_cb[kind]

        def count(vcpu, *_rest):
            total[kind] += 1
            api.u64_add(entry, vcpu, 1)
        count.__name__ = f'count_{kind}'
        return count

    tb_cb, insn_cb, mem_cb = (counter(k) for k in KINDS)

    def tb_trans(tb):
        api.register_vcpu_tb_exec_cb(tb, tb_cb)
        api.register_vcpu_tb_exec_inline_per_vcpu(tb, api.INLINE_ADD_U64, by_inline['tb'], 1)
        for i in range(api.tb_n_insns(tb)):
            insn = api.tb_get_insn(tb, i)
            api.register_vcpu_insn_exec_cb(insn, insn_cb)
            api.register_vcpu_insn_exec_inline_per_vcpu(insn, api.INLINE_ADD_U64,
                                                        by_inline['insn'], 1)
            api.register_vcpu_mem_cb(insn, mem_cb, api.CB_NO_REGS, api.MEM_RW)
            api.register_vcpu_mem_inline_per_vcpu(insn, api.MEM_RW, api.INLINE_ADD_U64,
                                                  by_inline['mem'], 1)

    def at_exit(_plugin_id, _udata):
        bad = []
        for k in KINDS:
            counts = (total[k], api.u64_sum(by_cb[k]), api.u64_sum(by_inline[k]))
            api.outs(f'{k}: {counts[0]} (callback), {counts[1]} (scoreboard), '
                     f'{counts[2]} (inline)\n')
            if len(set(counts)) != 1:
                bad.append(k)
        if bad:
            raise AssertionError(f'counts disagree for {", ".join(bad)}')
        api.outs('inline: counts agree\n')

    api.register_vcpu_tb_trans_cb(tb_trans)
    api.register_atexit_cb(at_exit)
