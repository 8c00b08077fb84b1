"""Extended attributes: the getxattr/setxattr/listxattr/removexattr family (path, l- and f-
variants) passed through to the host's libc, so the guest sees what the host file system says
(ENODATA for a missing attribute, ENOTSUP where the file system has none, ERANGE for a short
buffer, the needed size for size 0), as `ls -l` expects of a real kernel.
"""
import ctypes
import errno
import os

from . import abi
from .fs import _libc, read_path, resolve
from .table import syscall

XATTR_NAME_MAX, XATTR_SIZE_MAX, XATTR_LIST_MAX = 255, 65536, 65536
XATTR_CREATE, XATTR_REPLACE = 1, 2


def _s32(v):
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def _host_path(p, addr):
    """A host path for a guest path (-L prefix as for open; relative to the guest's cwd)."""
    hp, dir_fd = resolve(p, abi.AT_FDCWD, read_path(p, addr))
    if dir_fd is not None and not hp.startswith(b'/'):
        hp = f'/proc/self/fd/{dir_fd}/'.encode() + hp
    return hp


def _name(p, addr):
    name = p.mem.read_cstr(addr, XATTR_NAME_MAX + 2)
    if not name or len(name) > XATTR_NAME_MAX:
        raise OSError(errno.ERANGE, 'bad attribute name')
    return name


def _call(fn, *args):
    ctypes.set_errno(0)
    r = getattr(_libc, fn)(*args)
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r


def _get(p, fn, target, name, value, size):
    size = min(size, XATTR_SIZE_MAX)
    buf = ctypes.create_string_buffer(size) if size else None
    n = _call(fn, target, _name(p, name), buf, ctypes.c_size_t(size))
    if size and n:
        p.mem.write(value, buf.raw[:n])
    return n


def _set(p, fn, target, name, value, size, flags):
    if flags & ~(XATTR_CREATE | XATTR_REPLACE):
        return -errno.EINVAL
    if size > XATTR_SIZE_MAX:
        return -errno.E2BIG
    data = p.mem.read(value, size) if size else b''
    return _call(fn, target, _name(p, name), data, ctypes.c_size_t(size), ctypes.c_int(flags))


def _list(p, fn, target, lst, size):
    size = min(size, XATTR_LIST_MAX)
    buf = ctypes.create_string_buffer(size) if size else None
    n = _call(fn, target, buf, ctypes.c_size_t(size))
    if size and n:
        p.mem.write(lst, buf.raw[:n])
    return n


def _fd(p, fd):
    return ctypes.c_int(p.fds.lookup(_s32(fd)).host)


@syscall('getxattr', 'sspu')
def sys_getxattr(p, path, name, value, size):
    return _get(p, 'getxattr', _host_path(p, path), name, value, size)


@syscall('lgetxattr', 'sspu')
def sys_lgetxattr(p, path, name, value, size):
    return _get(p, 'lgetxattr', _host_path(p, path), name, value, size)


@syscall('fgetxattr', 'dspu')
def sys_fgetxattr(p, fd, name, value, size):
    return _get(p, 'fgetxattr', _fd(p, fd), name, value, size)


@syscall('setxattr', 'sspux')
def sys_setxattr(p, path, name, value, size, flags):
    return _set(p, 'setxattr', _host_path(p, path), name, value, size, flags)


@syscall('lsetxattr', 'sspux')
def sys_lsetxattr(p, path, name, value, size, flags):
    return _set(p, 'lsetxattr', _host_path(p, path), name, value, size, flags)


@syscall('fsetxattr', 'dspux')
def sys_fsetxattr(p, fd, name, value, size, flags):
    return _set(p, 'fsetxattr', _fd(p, fd), name, value, size, flags)


@syscall('listxattr', 'spu')
def sys_listxattr(p, path, lst, size):
    return _list(p, 'listxattr', _host_path(p, path), lst, size)


@syscall('llistxattr', 'spu')
def sys_llistxattr(p, path, lst, size):
    return _list(p, 'llistxattr', _host_path(p, path), lst, size)


@syscall('flistxattr', 'dpu')
def sys_flistxattr(p, fd, lst, size):
    return _list(p, 'flistxattr', _fd(p, fd), lst, size)


@syscall('removexattr', 'ss')
def sys_removexattr(p, path, name):
    return _call('removexattr', _host_path(p, path), _name(p, name))


@syscall('lremovexattr', 'ss')
def sys_lremovexattr(p, path, name):
    return _call('lremovexattr', _host_path(p, path), _name(p, name))


@syscall('fremovexattr', 'ds')
def sys_fremovexattr(p, fd, name):
    return _call('fremovexattr', _fd(p, fd), _name(p, name))
