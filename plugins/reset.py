"""Reset, then uninstall, from inside callbacks, checking what each completion leaves behind
(after QEMU's tests/plugin/reset.c, which resets once and then uninstalls).

    nbemu -d plugin -plugin plugins/reset.py[,resets=N][,every=K] prog

Every phase registers a TB callback, an instruction callback and an inline add, and a memory
callback and a memory inline add. After K TB executions in a phase (default 200) the TB callback
asks for a reset (N times, default 3), then for an uninstall. The plugin checks:
- completion order: every reset's flush callback, then its completion callback, in request
  order, and the uninstall's last; each completion callback runs once;
- nothing is lost or doubled: at each completion, the phase's instruction and memory callback
  counts equal its inline counts (callbacks keep firing until the TB that asked ends, inline
  ops too);
- nothing stale fires: no callback of a phase whose reset completed, nothing after the
  uninstall, and no atexit callback (uninstall drops it).
It prints `reset: phase P: T tbs, I insns, M mem` per phase and `reset: done, order ok`; a stale
callback prints `reset: STALE ...` when it fires; a failed check raises (status 1).
"""


def install(api, args):
    resets = int(args.get('resets', 3))
    every = int(args.get('every', 200))
    for k in args:
        if k not in ('resets', 'every'):
            raise ValueError(f'option parsing failed: {k}')
    st = {'phase': 0, 'requested': False, 'uninstalled': False}
    events = []          # flushes and completions, in the order they ran
    phases = []

    def stale(what, gen):
        if gen != st['phase'] or st['uninstalled']:
            api.outs(f'reset: STALE {what} of phase {gen} fired in phase {st["phase"]}'
                     f'{" after uninstall" if st["uninstalled"] else ""}\n')
            return True
        return False

    def start_phase():
        gen = len(phases)
        score = api.scoreboard_new(16)
        ph = {'tbs': 0, 'insns': 0, 'mem': 0,
              'insn_inline': api.scoreboard_u64_in_struct(score, 0),
              'mem_inline': api.scoreboard_u64_in_struct(score, 8)}
        phases.append(ph)

        def tb_exec(vcpu, _u):
            if stale('tb callback', gen):
                return
            ph['tbs'] += 1
            if ph['tbs'] >= every and not st['requested']:
                st['requested'] = True
                if gen < resets:
                    api.reset(reset_done)
                else:
                    api.uninstall(uninstall_done)

        def insn_exec(vcpu, _u):
            if not stale('insn callback', gen):
                ph['insns'] += 1

        def mem(vcpu, info, vaddr, _u):
            if not stale('mem callback', gen):
                ph['mem'] += 1

        def tb_trans(tb):
            if stale('tb_trans', gen):
                return
            api.register_vcpu_tb_exec_cb(tb, tb_exec)
            for i in range(api.tb_n_insns(tb)):
                insn = api.tb_get_insn(tb, i)
                api.register_vcpu_insn_exec_cb(insn, insn_exec)
                api.register_vcpu_insn_exec_inline_per_vcpu(insn, api.INLINE_ADD_U64,
                                                            ph['insn_inline'], 1)
                api.register_vcpu_mem_cb(insn, mem, api.CB_NO_REGS, api.MEM_RW)
                api.register_vcpu_mem_inline_per_vcpu(insn, api.MEM_RW, api.INLINE_ADD_U64,
                                                      ph['mem_inline'], 1)
        api.register_vcpu_tb_trans_cb(tb_trans)
        api.register_flush_cb(lambda _pid: events.append(('flush', gen)))
        api.register_atexit_cb(at_exit)

    def end_phase(kind):
        gen = st['phase']
        ph = phases[gen]
        events.append((kind, gen))
        if events[-2:] != [('flush', gen), (kind, gen)]:
            raise AssertionError(f'{kind} of phase {gen} completed out of order: {events}')
        inline = (api.u64_sum(ph['insn_inline']), api.u64_sum(ph['mem_inline']))
        if (ph['insns'], ph['mem']) != inline:
            raise AssertionError(f'phase {gen}: callbacks counted {ph["insns"]} insns and '
                                 f'{ph["mem"]} accesses, inline ops {inline[0]} and {inline[1]}')
        api.outs(f'reset: phase {gen}: {ph["tbs"]} tbs, {ph["insns"]} insns, {ph["mem"]} mem\n')

    def reset_done(_pid):
        end_phase('reset')
        st['phase'] += 1
        st['requested'] = False
        start_phase()

    def uninstall_done(_pid):
        end_phase('uninstall')
        st['uninstalled'] = True
        expected = [(kind, g) for g in range(resets + 1)
                    for kind in ('flush', 'reset' if g < resets else 'uninstall')]
        if events != expected:
            raise AssertionError(f'completions {events}, expected {expected}')
        api.outs('reset: done, order ok\n')

    def at_exit(_pid, _u):
        if st['uninstalled']:
            api.outs('reset: STALE atexit callback after uninstall\n')
        else:
            api.outs(f'reset: program ended in phase {st["phase"]}, before the uninstall\n')

    start_phase()
