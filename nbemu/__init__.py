"""nbemu: an instrumentable AArch64 Linux user-mode emulator; guest code is compiled by numba."""
__version__ = '0.1.0'


def __getattr__(name):
    if name == 'Emulator':
        from .emulator import Emulator
        return Emulator
    raise AttributeError(name)
