"""The raw-pointer primitives lives in nbemu.core.native (shared by gen and runtime); this name stays for
existing imports."""
from nbemu.core.native import *  # noqa: F401,F403
