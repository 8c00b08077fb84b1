"""Ancillary data (struct cmsghdr chains) between a guest msghdr and the host's.

The layout is the same on arm64 and the host (16-byte header {u64 len; int level; int type},
data aligned to 8), so the bytes pass through and only SCM_RIGHTS changes: the fds it carries
are guest fd numbers on the way out (each must name an open guest fd: EBADF otherwise) and host
fds on the way in, which become new guest fds. Malformed chains go to the host unchanged, for
its own EINVAL.
"""
import errno
import os
import struct

from .fs import Errno, OpenFile

SOL_SOCKET, SCM_RIGHTS = 1, 1
HDR = struct.Struct('<Qii')
MSG_CTRUNC = 0x8
CONTROL_MAX = 1 << 20       # beyond any optmem_max: Linux fails with ENOBUFS


def _align(n):
    return (n + 7) & ~7


def _walk(buf):
    """(offset, cmsg_len, level, type) of each well-formed header, as CMSG_NXTHDR walks."""
    off = 0
    while off + HDR.size <= len(buf):
        ln, level, typ = HDR.unpack_from(buf, off)
        if ln < HDR.size or off + ln > len(buf):
            return
        yield off, ln, level, typ
        off += _align(ln)


def to_host(p, raw):
    buf = bytearray(raw)
    for off, ln, level, typ in _walk(buf):
        if level == SOL_SOCKET and typ == SCM_RIGHTS:
            n = (ln - HDR.size) // 4
            fds = struct.unpack_from(f'<{n}i', buf, off + HDR.size)
            struct.pack_into(f'<{n}i', buf, off + HDR.size,
                             *(p.fds.lookup(fd).host for fd in fds))
    return bytes(buf)


def to_guest(p, raw, mflags, cloexec):
    """The received control bytes with SCM_RIGHTS' host fds installed as guest fds."""
    buf = bytearray(raw)
    for off, ln, level, typ in _walk(buf):
        if level != SOL_SOCKET or typ != SCM_RIGHTS:
            continue
        n = (ln - HDR.size) // 4
        hosts = struct.unpack_from(f'<{n}i', buf, off + HDR.size)
        got = []
        for i, h in enumerate(hosts):
            try:
                got.append(p.fds.install(OpenFile(h, cloexec)))
            except Errno as e:
                if e.errno != errno.EMFILE:
                    raise
                # Linux's scm_detach_fds: the fds that do not fit are dropped, MSG_CTRUNC
                # (install already closed h)
                for rest in hosts[i + 1:]:
                    os.close(rest)
                mflags |= MSG_CTRUNC
                HDR.pack_into(buf, off, HDR.size + 4 * len(got), level, typ)
                break
        struct.pack_into(f'<{len(got)}i', buf, off + HDR.size, *got)
    return bytes(buf), mflags
