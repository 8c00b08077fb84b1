"""TB and instruction counts, as QEMU's tests/plugin/bb.c: `bb's: N, insns: M` at exit.

    nbemu -d plugin -plugin plugins/bb.py[,inline=on] prog
"""


def install(api, args):
    inline = api.bool_parse('inline', args.get('inline', 'off'))
    score = api.scoreboard_new(16)
    bbs = api.scoreboard_u64_in_struct(score, 0)
    insns = api.scoreboard_u64_in_struct(score, 8)

    def tb_exec(vcpu, n_insns):
        bbs.values[vcpu] += 1
        insns.values[vcpu] += n_insns

    def tb_trans(tb):
        n = api.tb_n_insns(tb)
        if inline:
            api.register_vcpu_tb_exec_inline_per_vcpu(tb, api.INLINE_ADD_U64, bbs, 1)
            api.register_vcpu_tb_exec_inline_per_vcpu(tb, api.INLINE_ADD_U64, insns, n)
        else:
            api.register_vcpu_tb_exec_cb(tb, tb_exec, api.CB_NO_REGS, n)

    def at_exit(plugin_id, _udata):
        api.outs(f"bb's: {api.u64_sum(bbs)}, insns: {api.u64_sum(insns)}\n")

    api.register_vcpu_tb_trans_cb(tb_trans)
    api.register_atexit_cb(at_exit)
