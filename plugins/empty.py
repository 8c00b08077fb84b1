"""A plugin that registers nothing (the bare cost of having a plugin loaded), as QEMU's empty.c."""


def install(api, args):
    pass
