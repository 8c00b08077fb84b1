"""Memory-access counts, as QEMU's tests/plugin/mem.c.

    nbemu -d plugin -plugin plugins/mem.py,callback=on[,inline=on][,track=r|w|rw] prog

prints `inline mem accesses: N` and/or `callback mem accesses: N` at exit (nothing is counted
without inline= or callback=, as in QEMU).
"""


def install(api, args):
    inline = api.bool_parse('inline', args.get('inline', 'off'))
    callback = api.bool_parse('callback', args.get('callback', 'off'))
    track = args.get('track', 'rw')
    rw = {'r': api.MEM_R, 'w': api.MEM_W, 'rw': api.MEM_RW}.get(track)
    if rw is None:
        raise ValueError(f'invalid value for argument track: {track}')
    score = api.scoreboard_new(16)
    inline_count = api.scoreboard_u64_in_struct(score, 0)
    cb_count = api.scoreboard_u64_in_struct(score, 8)

    def vcpu_mem(vcpu, info, vaddr, _udata):
        cb_count.values[vcpu] += 1

    def tb_trans(tb):
        for i in range(api.tb_n_insns(tb)):
            insn = api.tb_get_insn(tb, i)
            if inline:
                api.register_vcpu_mem_inline_per_vcpu(insn, rw, api.INLINE_ADD_U64, inline_count, 1)
            if callback:
                api.register_vcpu_mem_cb(insn, vcpu_mem, api.CB_NO_REGS, rw)

    def at_exit(plugin_id, _udata):
        out = ''
        if inline:
            out += f'inline mem accesses: {api.u64_sum(inline_count)}\n'
        if callback:
            out += f'callback mem accesses: {api.u64_sum(cb_count)}\n'
        api.outs(out)

    api.register_vcpu_tb_trans_cb(tb_trans)
    api.register_atexit_cb(at_exit)
