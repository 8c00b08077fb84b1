"""The vCPU state layout lives in nbemu.core.cpu (shared by gen and runtime); this name stays for
existing imports."""
from nbemu.core.cpu import *  # noqa: F401,F403
