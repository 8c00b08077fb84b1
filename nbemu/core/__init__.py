"""What every layer shares and nothing above it defines: the vCPU record layout and exit codes
(cpu), raw native access (native), guest-memory constants (memdefs), the TLB hit path and slow
paths (tlb), and the TB table layout the execution loop reads (tbtable). nbemu.core imports
nothing from nbemu.gen or nbemu.runtime; both of those import it.
"""
