"""The softmmu TLB lives in nbemu.core.tlb (shared by gen and runtime); this name stays for
existing imports."""
from nbemu.core.tlb import *  # noqa: F401,F403
