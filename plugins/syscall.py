"""System-call statistics, as QEMU's tests/plugin/syscall.c.

    nbemu -d plugin -plugin plugins/syscall.py[,print=on] prog

Without print: a table of calls and errors per syscall number at exit, most called first.
print=on: one line per syscall entry and return instead.
"""


def install(api, args):
    for k in args:
        if k != 'print':
            raise ValueError(f'unsupported argument: {k}')
    do_print = api.bool_parse('print', args.get('print', 'off'))
    stats = {}      # num -> [calls, errors]

    def on_syscall(vcpu, num, *_args):
        if do_print:
            api.outs(f'syscall #{num}\n')
        else:
            stats.setdefault(num, [0, 0])[0] += 1

    def on_return(vcpu, num, ret):
        if do_print:
            api.outs(f'syscall #{num} returned -> {ret}\n')
        else:
            entry = stats.setdefault(num, [0, 0])
            if ret < 0:
                entry[1] += 1

    def at_exit(plugin_id, _udata):
        if do_print:
            return
        api.outs('syscall no.  calls  errors\n')
        for num, (calls, errors) in sorted(stats.items(), key=lambda kv: -kv[1][0]):
            api.outs(f'{num:<13d}{calls:<6d} {errors}\n')

    api.register_vcpu_syscall_cb(on_syscall)
    api.register_vcpu_syscall_ret_cb(on_return)
    api.register_atexit_cb(at_exit)
