"""Count the control-flow discontinuities of each vCPU, like QEMU's contrib/plugins/traps.c:
interrupts (asynchronous signals entering a handler), exceptions (faults entering a handler)
and host calls (semihosting), printed at exit."""


def install(api, args):
    counts = {}         # vcpu index -> [interrupts, exceptions, host calls]
    column = {api.DISCON_INTERRUPT: 0, api.DISCON_EXCEPTION: 1, api.DISCON_HOSTCALL: 2}

    def discon(_id, vcpu, kind, from_pc, to_pc):
        counts.setdefault(vcpu, [0, 0, 0])[column[kind]] += 1

    def vcpu_init(_id, vcpu):
        counts.setdefault(vcpu, [0, 0, 0])

    def atexit(_id, _userdata):
        lines = ['vCPU | interrupts | exceptions | host calls']
        for vcpu in sorted(counts):
            i, e, h = counts[vcpu]
            lines.append(f'{vcpu:4} | {i:10} | {e:10} | {h:10}')
        api.outs('\n'.join(lines) + '\n')

    api.register_vcpu_init_cb(vcpu_init)
    api.register_vcpu_discon_cb(api.DISCON_ALL, discon)
    api.register_atexit_cb(atexit)
